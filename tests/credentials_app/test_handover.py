"""When a user leaves (deactivated or deleted), their credentials pass on; none is deleted or orphaned."""
import logging

import pytest
from django.db.models import ProtectedError

from credentials_app.models import AuditEvent, Connection, Credential
from credentials_app.team_services import user_delete
from tests.credentials_app.sharing_support import make_team, share

pytestmark = pytest.mark.django_db


def deactivate(user):
    user.is_active = False
    user.save()


def test_a_shared_credential_passes_to_an_admin_of_the_team_and_is_audited(user_factory, credential_factory):
    """Deactivating the owner gives a team-shared credential to that team's admin, recorded from/to/reason."""
    ada, tom, bob = user_factory("ada"), user_factory("tom"), user_factory("bob")
    user_factory("root", is_superuser=True)
    ops = make_team("Ops", admins=[ada, tom], members=[bob])
    credential = credential_factory(owner=ada, name="Box office")
    share(credential, ops)

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


def test_the_leaving_user_is_never_the_recipient(user_factory, credential_factory):
    """When the leaver is the team's only admin, a superuser takes it rather than the leaver or a plain member."""
    ada, bob, root = user_factory("ada", is_superuser=True), user_factory("bob"), user_factory("root", is_superuser=True)
    ops = make_team("Ops", admins=[ada], members=[bob])
    credential = credential_factory(owner=ada)
    share(credential, ops)

    deactivate(ada)

    credential.refresh_from_db()
    assert credential.owner == root


def test_with_nobody_to_take_it_the_credential_stays_and_a_warning_is_logged(user_factory, credential_factory, caplog):
    """No team admin and no superuser: the credential stays with the deactivated user and a warning says so."""
    ada = user_factory("ada")
    credential = credential_factory(owner=ada)

    with caplog.at_level(logging.WARNING, logger="credentials_app.team_services"):
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


def test_deleting_a_user_hands_over_first_and_their_connections_go_with_them(user_factory, credential_factory):
    """user_delete hands credentials over, then deletes the user; the user's own connections cascade."""
    ada, tom = user_factory("ada"), user_factory("tom")
    ops = make_team("Ops", admins=[tom])
    credential = credential_factory(owner=ada)
    share(credential, ops)
    Connection.objects.create(owner=ada, kind="source", provider="humanitix", name="Weekly", credential=credential)
    Connection.objects.create(owner=tom, kind="source", provider="humanitix", name="Daily", credential=credential)

    user_delete(user=ada)

    credential.refresh_from_db()
    assert credential.owner == tom
    assert AuditEvent.objects.get(action="owner_changed").details["reason"] == "user deleted"
    assert list(Connection.objects.values_list("name", flat=True)) == ["Daily"]


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
