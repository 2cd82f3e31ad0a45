"""The admin deletes and edits through the same services, rules and audit log as the app."""
import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from credentials_app.models import AuditEvent, Connection, Credential, CredentialShare, Team

pytestmark = pytest.mark.django_db


@pytest.fixture
def root(sign_in):
    """Return a superuser signed in to the admin."""
    return sign_in(username="root", is_superuser=True, is_staff=True)


def error_messages(response):
    return [str(message) for message in get_messages(response.wsgi_request) if message.level_tag == "error"]


def bulk_delete(client, model, objects, confirm):
    data = {"action": "delete_selected", "_selected_action": [str(obj.pk) for obj in objects]}
    if confirm:
        data["post"] = "yes"
    return client.post(reverse(f"admin:credentials_app_{model}_changelist"), data)


@pytest.mark.parametrize("method", ["get", "post"])
def test_deleting_a_credential_in_use_is_refused_with_the_connections_named(
    method, client, root, credential_factory, connection_factory
):
    """The admin's Delete on a credential that data sources use keeps it and says which ones use it."""
    credential = credential_factory(name="Box office")
    connection_factory(credential, "Weekly")
    connection_factory(credential, "Daily")
    url = reverse("admin:credentials_app_credential_delete", args=[credential.pk])

    response = getattr(client, method)(url, {"post": "yes"} if method == "post" else None)

    assert response.status_code == 302
    assert response.url == reverse("admin:credentials_app_credential_change", args=[credential.pk])
    assert error_messages(response) == [
        "“Box office” was not deleted. This credential is still used by: Daily (Data source), Weekly (Data source). "
        "Move them to another credential first."
    ]
    assert Credential.objects.filter(pk=credential.pk).exists()
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.DELETED).exists()


def test_deleting_an_unused_credential_in_the_admin_is_audited(client, root, credential_factory):
    """Deleting from the credential's admin page records who deleted it, with its fingerprint only."""
    credential = credential_factory(name="Box office", key="sandbox_key_valid")
    url = reverse("admin:credentials_app_credential_delete", args=[credential.pk])

    assert client.get(url).status_code == 200
    client.post(url, {"post": "yes"})

    assert not Credential.objects.filter(pk=credential.pk).exists()
    event = AuditEvent.objects.get(action=AuditEvent.Action.DELETED)
    assert event.credential_name == "Box office" and event.actor == root
    assert event.details == {"fingerprint": "••••alid"}


def test_bulk_delete_with_a_credential_in_use_deletes_nothing_and_names_it(
    client, root, credential_factory, connection_factory
):
    """"Delete selected" refuses when any selected credential is in use, and deletes none of them."""
    used, unused = credential_factory(name="Used"), credential_factory(name="Unused")
    connection_factory(used, "Weekly")

    response = bulk_delete(client, "credential", [used, unused], confirm=True)

    assert error_messages(response) == [
        "“Used” was not deleted. This credential is still used by: Weekly (Data source). "
        "Move them to another credential first."
    ]
    assert Credential.objects.count() == 2
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.DELETED).exists()


def test_bulk_delete_of_unused_credentials_is_audited(client, root, credential_factory):
    """"Delete selected" on unused credentials deletes each through the service, one audit event each."""
    first, second = credential_factory(name="First"), credential_factory(name="Second")

    confirmation = bulk_delete(client, "credential", [first, second], confirm=False)
    assert "Are you sure" in confirmation.content.decode()
    bulk_delete(client, "credential", [first, second], confirm=True)

    assert not Credential.objects.exists()
    deleted = AuditEvent.objects.filter(action=AuditEvent.Action.DELETED, actor=root)
    assert sorted(deleted.values_list("credential_name", flat=True)) == ["First", "Second"]


def test_the_admin_cannot_repoint_or_add_a_connection(client, root, credential_factory, connection_factory):
    """A connection's credential, provider, kind and owner cannot be changed in the admin, nor one added."""
    credential = credential_factory(provider="humanitix")
    other = credential_factory(provider="moshtix", disabled_at="2024-01-01T00:00:00Z")
    connection = connection_factory(credential, "Weekly")
    url = reverse("admin:credentials_app_connection_change", args=[connection.pk])

    client.post(url, {
        "name": "Renamed", "credential": str(other.pk), "provider": "moshtix", "kind": "destination",
        "owner": str(root.pk),
    })

    connection.refresh_from_db()
    assert connection.name == "Renamed"
    assert (connection.credential, connection.provider, connection.kind) == (credential, "humanitix", "source")
    assert connection.owner == credential.owner
    assert client.get(reverse("admin:credentials_app_connection_add")).status_code == 403


@pytest.mark.parametrize("bulk", [False, True], ids=["delete page", "delete selected"])
def test_deleting_a_team_records_each_share_it_ends(
    bulk, client, root, user_factory, credential_factory, team_factory, share_factory
):
    """Deleting a team in the admin records an "Unshared" event for every credential shared with it."""
    ops = team_factory("Ops", admins=[user_factory("ada")])
    first, second = credential_factory(name="First"), credential_factory(name="Second")
    share_factory(first, ops)
    share_factory(second, ops, level=CredentialShare.Level.MANAGE)

    if bulk:
        bulk_delete(client, "team", [ops], confirm=True)
    else:
        client.post(reverse("admin:credentials_app_team_delete", args=[ops.pk]), {"post": "yes"})

    assert not Team.objects.exists() and not CredentialShare.objects.exists()
    events = AuditEvent.objects.filter(action=AuditEvent.Action.UNSHARED, actor=root).order_by("credential_name")
    assert [(event.credential_name, event.details["team"], event.details["level"]) for event in events] == [
        ("First", "Ops", "use"), ("Second", "Ops", "manage")
    ]


def test_deleting_a_user_in_the_admin_keeps_and_does_not_list_their_connections(
    client, root, user_factory, credential_factory, connection_factory):
    """The user delete confirmation does not list their data sources as deleted: they pass on instead."""
    ada = user_factory("ada")
    connection_factory(credential_factory(owner=ada), "Weekly")
    url = reverse("admin:auth_user_delete", args=[ada.pk])

    assert "Weekly" not in client.get(url).content.decode()
    client.post(url, {"post": "yes"})

    assert Connection.objects.get(name="Weekly").owner == root


def test_renaming_a_connection_in_the_admin_is_normalised_and_audited(client, root, credential_factory, connection_factory):
    """The admin renames through the same rule as the app: the name trimmed and normalised, the change in the history."""
    credential = credential_factory(provider="humanitix")
    connection = connection_factory(credential, "Weekly")
    url = reverse("admin:credentials_app_connection_change", args=[connection.pk])

    client.post(url, {"name": "  Ｗeekly events  "})

    connection.refresh_from_db()
    assert connection.name == "Weekly events"
    [renamed] = AuditEvent.objects.filter(credential=credential, action=AuditEvent.Action.CONNECTION_RENAMED)
    assert renamed.actor == root


def test_a_blank_connection_name_in_the_admin_is_refused_with_a_message(client, root, credential_factory, connection_factory):
    """A name the app would refuse is refused on the admin form, and the stored name is kept."""
    connection = connection_factory(credential_factory(provider="humanitix"), "Weekly")
    url = reverse("admin:credentials_app_connection_change", args=[connection.pk])

    response = client.post(url, {"name": "\u200b"})

    assert response.status_code == 200 and "name" in response.context["adminform"].form.errors
    connection.refresh_from_db()
    assert connection.name == "Weekly"
