"""When a user leaves (deactivated or deleted), their credentials pass on; none is deleted or orphaned."""
import logging

import pytest
from django.db.models import ProtectedError

from credentials_app.models import AuditEvent, Connection, Credential, Membership
from credentials_app.services.handover import user_delete

pytestmark = pytest.mark.django_db


def deactivate(user):
    user.is_active = False
    user.save()


def test_a_shared_credential_passes_to_an_admin_of_the_team_and_is_audited(
    user_factory, credential_factory, team_factory, share_factory
):
    """Deactivating the owner gives a team-shared credential to that team's admin, recorded from/to/reason."""
    ada, tom, bob = user_factory("ada"), user_factory("tom"), user_factory("bob")
    user_factory("root", is_superuser=True)
    ops = team_factory("Ops", admins=[ada, tom], members=[bob])
    credential = credential_factory(owner=ada, name="Box office")
    share_factory(credential, ops)

    deactivate(ada)

    credential.refresh_from_db()
    assert credential.owner == tom
    event = AuditEvent.objects.get(credential=credential, action=AuditEvent.Action.OWNER_CHANGED)
    assert event.details == {"from": "ada", "to": "tom", "reason": "user deactivated", "via_team": "Ops"}
    assert event.actor is None and event.actor_name == "system"


def test_an_unshared_credential_passes_to_a_superuser(user_factory, credential_factory):
    """A credential shared with no team goes to a superuser."""
    ada, root = user_factory("ada"), user_factory("root", is_superuser=True)
    credential = credential_factory(owner=ada)

    deactivate(ada)

    credential.refresh_from_db()
    assert credential.owner == root


def test_the_leaving_user_is_never_the_recipient(user_factory, credential_factory, team_factory, share_factory):
    """When the leaver is the team's only admin, a superuser takes it rather than the leaver or a plain member."""
    ada, bob, root = user_factory("ada", is_superuser=True), user_factory("bob"), user_factory("root", is_superuser=True)
    ops = team_factory("Ops", admins=[ada], members=[bob])
    credential = credential_factory(owner=ada)
    share_factory(credential, ops)

    deactivate(ada)

    credential.refresh_from_db()
    assert credential.owner == root


def test_with_nobody_to_take_it_the_credential_stays_and_a_warning_is_logged(user_factory, credential_factory, caplog):
    """No team admin and no superuser: the credential stays with the deactivated user and a warning says so."""
    ada = user_factory("ada")
    credential = credential_factory(owner=ada)

    with caplog.at_level(logging.WARNING, logger="credentials_app.services.handover"):
        deactivate(ada)

    credential.refresh_from_db()
    assert credential.owner == ada
    assert f"Credential {credential.pk}" in caplog.text and "stays with ada" in caplog.text

    root = user_factory("root", is_superuser=True)
    ada.save()  # the next save of the inactive user hands it over now that someone can take it
    credential.refresh_from_db()
    assert credential.owner == root


def test_a_name_clash_with_the_new_owner_is_resolved_by_renaming(user_factory, credential_factory):
    """If the recipient already has a credential of that name, the handed-over one gets "(from <user>)"."""
    ada, root = user_factory("ada"), user_factory("root", is_superuser=True)
    credential_factory(owner=root, name="Box office")
    credential = credential_factory(owner=ada, name="box office")

    deactivate(ada)

    credential.refresh_from_db()
    assert credential.owner == root and credential.name == "box office (from ada)"
    event = AuditEvent.objects.get(credential=credential, action=AuditEvent.Action.OWNER_CHANGED)
    assert event.details["renamed_from"] == "box office"


def test_deleting_a_user_hands_their_connections_over_with_their_credentials(
    user_factory, credential_factory, team_factory, share_factory, connection_factory
):
    """user_delete keeps the user's data sources: they follow the credential to its new owner, audited."""
    ada, tom = user_factory("ada"), user_factory("tom")
    ops = team_factory("Ops", admins=[tom])
    credential = credential_factory(owner=ada)
    share_factory(credential, ops)
    weekly = connection_factory(credential, "Weekly", owner=ada)
    connection_factory(credential, "Daily", owner=tom)

    user_delete(user=ada)

    credential.refresh_from_db()
    assert credential.owner == tom
    assert sorted(Connection.objects.values_list("name", "owner__username")) == [("Daily", "tom"), ("Weekly", "tom")]
    event = AuditEvent.objects.get(credential=credential, details__connection="Weekly")
    assert event.action == AuditEvent.Action.OWNER_CHANGED and event.actor_name == "system"
    assert event.details == {
        "connection": "Weekly", "kind": "source", "connection_id": str(weekly.pk),
        "from": "ada", "to": "tom", "reason": "user deleted",
    }


def test_a_connection_on_someone_elses_credential_goes_to_a_team_admin_or_a_superuser(
    user_factory, credential_factory, team_factory, share_factory, connection_factory
):
    """A deleted user's data source built on a shared credential passes to that team's admin, else a superuser."""
    ada, tom, bob = user_factory("ada"), user_factory("tom"), user_factory("bob")
    root = user_factory("root", is_superuser=True)
    ops = team_factory("Ops", admins=[tom], members=[ada])
    shared = credential_factory(owner=bob, name="Shared")
    share_factory(shared, ops)
    unshared = credential_factory(owner=bob, name="Bob's own")
    connection_factory(shared, "Via Ops", owner=ada)
    connection_factory(unshared, "Direct", owner=ada)

    user_delete(user=ada)

    owners = dict(Connection.objects.values_list("name", "owner"))
    assert owners == {"Via Ops": tom.pk, "Direct": root.pk}
    assert Credential.objects.get(pk=shared.pk).owner == bob  # the credential itself stays with its owner


def test_deleting_a_user_whose_connection_nobody_can_take_is_refused(
    user_factory, credential_factory, connection_factory
):
    """With no team admin or superuser to take a data source, deleting its owner deletes nothing."""
    ada, bob = user_factory("ada"), user_factory("bob")
    credential = credential_factory(owner=bob)
    connection_factory(credential, "Weekly", owner=ada)

    with pytest.raises(ProtectedError, match="Weekly"):
        user_delete(user=ada)

    assert type(ada).objects.filter(pk=ada.pk).exists()
    assert Connection.objects.get(name="Weekly").owner == ada


def test_deactivating_a_user_keeps_their_connections_with_them(user_factory, credential_factory, connection_factory):
    """A deactivated user's data sources keep working with them; only the credential passes on."""
    ada, root = user_factory("ada"), user_factory("root", is_superuser=True)
    credential = credential_factory(owner=ada)
    connection_factory(credential, "Weekly", owner=ada)

    deactivate(ada)

    assert Credential.objects.get(pk=credential.pk).owner == root
    assert Connection.objects.get(name="Weekly").owner == ada


@pytest.mark.parametrize("leave", [deactivate, lambda user: user_delete(user=user)], ids=["deactivated", "deleted"])
def test_a_teams_only_admin_leaving_promotes_the_longest_standing_member(leave, user_factory, team_factory):
    """When a team's only admin leaves, its longest-standing active member becomes admin."""
    ada, bob, cat, dan = (user_factory(name) for name in ("ada", "bob", "cat", "dan"))
    ops = team_factory("Ops", admins=[ada])
    for user in (dan, bob, cat):  # dan joined first but can no longer sign in
        Membership.objects.create(team=ops, user=user)
    dan.is_active = False
    dan.save()

    leave(ada)

    roles = dict(Membership.objects.filter(team=ops).exclude(user__username="ada").values_list("user__username", "role"))
    assert roles == {"dan": "member", "bob": "admin", "cat": "member"}


def test_a_team_with_another_admin_promotes_nobody(user_factory, team_factory):
    """Members stay members when the team still has an active admin after one leaves."""
    ada, tom, bob = user_factory("ada"), user_factory("tom"), user_factory("bob")
    ops = team_factory("Ops", admins=[ada, tom], members=[bob])

    user_delete(user=ada)

    assert Membership.objects.get(team=ops, user=bob).role == Membership.Role.MEMBER


def test_deleting_a_user_nobody_can_take_over_from_is_refused(user_factory, credential_factory):
    """With no recipient, deleting the owner fails and deletes nothing: the credential is never orphaned."""
    ada = user_factory("ada")
    credential = credential_factory(owner=ada)

    with pytest.raises(ProtectedError):
        user_delete(user=ada)
    with pytest.raises(ProtectedError):
        ada.delete()

    assert Credential.objects.get(pk=credential.pk).owner == ada


def test_deleting_a_user_in_the_admin_hands_over_their_credentials(client, user_factory, credential_factory):
    """A superuser deletes a user in /admin/: the confirmation allows it and the credential passes on."""
    root = user_factory("root", is_superuser=True, is_staff=True)
    ada = user_factory("ada")
    credential = credential_factory(owner=ada, name="Box office")
    client.force_login(root)

    confirm = client.get(f"/admin/auth/user/{ada.pk}/delete/")
    assert "protected related objects" not in confirm.content.decode()
    client.post(f"/admin/auth/user/{ada.pk}/delete/", {"post": "yes"})

    credential.refresh_from_db()
    assert credential.owner == root
    assert not type(ada).objects.filter(username="ada").exists()
