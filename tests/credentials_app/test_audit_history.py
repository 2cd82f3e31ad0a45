"""The audit history: every action on a credential is recorded, readable, and never holds a secret."""
import pytest
from django.urls import reverse

from connectors.sandbox import keys
from credentials_app.models import AuditEvent, Connection, Credential
from credentials_app.services.connections import connection_create

pytestmark = pytest.mark.django_db

# Unknown keys are refused by the sandbox, so this marker drives a rejected replacement attempt.
REJECTED_MARKER = "zz-MARKER-never-in-audit-7f3c9a"


@pytest.fixture
def owner(sign_in):
    return sign_in(username="alice")


def post(client, name, credential, data=None):
    return client.post(reverse(name, args=[credential.pk]), data or {})


def events(credential, action):
    return list(AuditEvent.objects.filter(credential=credential, action=action))


def test_each_action_records_who_and_what_changed(client, owner, credential_factory, sandbox):
    """Check, replace key, rename, description, disable and enable each leave one event with its details."""
    credential = credential_factory(owner=owner, name="Box office", key=keys.REJECTED)
    old_fingerprint = credential.masked_fingerprint

    post(client, "credential_check_now", credential)
    post(client, "credential_replace_key", credential, {"key": keys.VALID})
    post(client, "credential_rename", credential, {"name": "Front desk"})
    post(client, "credential_edit_description", credential, {"description": "Weekly sales"})
    post(client, "credential_disable", credential)
    post(client, "credential_enable", credential)

    (checked,) = events(credential, AuditEvent.Action.CHECKED)
    assert checked.details["outcome"] == "rejected" and checked.actor == owner
    (replaced,) = events(credential, AuditEvent.Action.KEY_REPLACED)
    assert replaced.details == {"old_fingerprint": old_fingerprint, "new_fingerprint": f"••••{keys.VALID[-4:]}"}
    (renamed,) = events(credential, AuditEvent.Action.RENAMED)
    assert renamed.details == {"old_name": "Box office", "new_name": "Front desk"}
    assert renamed.credential_name == "Front desk"
    (described,) = events(credential, AuditEvent.Action.DESCRIPTION_EDITED)
    assert described.details["new_description"] == "Weekly sales"
    assert len(events(credential, AuditEvent.Action.DISABLED)) == 1
    assert len(events(credential, AuditEvent.Action.ENABLED)) == 1
    assert {event.actor_name for event in AuditEvent.objects.all()} == {"alice"}


def test_disabling_twice_records_once(client, owner, credential_factory):
    """Repeating an action that changes nothing adds no event."""
    credential = credential_factory(owner=owner)

    post(client, "credential_disable", credential)
    post(client, "credential_disable", credential)

    assert len(events(credential, AuditEvent.Action.DISABLED)) == 1


def test_move_and_delete_records_the_move_and_the_deletion(client, owner, credential_factory):
    """Moving connections records a USED event on the new credential; the deletion outlives the credential."""
    credential = credential_factory(owner=owner, name="Old key")
    replacement = credential_factory(owner=owner, name="New key")
    connection_create(owner=owner, kind=Connection.Kind.SOURCE, provider="humanitix", name="Weekly events",
                      credential=credential)

    post(client, "credential_delete", credential, {"replacement": replacement.pk})

    (moved,) = events(replacement, AuditEvent.Action.USED)
    assert moved.details["connection"] == "Weekly events" and moved.details["moved_from"] == "Old key"
    deleted = AuditEvent.objects.get(action=AuditEvent.Action.DELETED)
    assert deleted.credential is None and deleted.credential_name == "Old key"
    assert deleted.details["moved_to"] == "New key"


def test_page_shows_history_newest_first_in_words(client, owner, credential_factory):
    """The history reads who did what, newest first."""
    credential = credential_factory(owner=owner, name="First")
    post(client, "credential_rename", credential, {"name": "Second"})
    post(client, "credential_disable", credential)

    response = client.get(reverse("credential_detail", args=[credential.pk]))

    summaries = [summary for _, summary in response.context["history"]]
    assert summaries == ["Disabled", "Renamed from “First” to “Second”"]
    assert "alice" in response.content.decode()


def test_no_secret_ever_reaches_the_audit_log(client, owner, credential_factory, admin_client, sandbox):
    """Through a whole lifecycle, no key appears in any event field or in the admin's audit list."""
    create = client.post(
        reverse("credential_add", args=["source", "custify"]),
        {"name": "Marker", "key": keys.VALID, "creation_token": "8d0f6a52-6c3e-4d55-9a49-0d3c7ab1b001"},
    )
    assert create.status_code == 201
    credential = Credential.objects.get(name="Marker")
    other = credential_factory(owner=owner, provider="custify", name="Other")
    connection_create(owner=owner, kind=Connection.Kind.SOURCE, provider="custify", name="Companies",
                      credential=credential)
    post(client, "credential_check_now", credential)
    post(client, "credential_replace_key", credential, {"key": REJECTED_MARKER})
    post(client, "credential_replace_key", credential, {"key": keys.SERVER_ERROR})
    post(client, "credential_replace_key", credential, {"key": keys.VALID})
    post(client, "credential_rename", credential, {"name": "Marker renamed"})
    post(client, "credential_edit_description", credential, {"description": "Companies sync"})
    post(client, "credential_disable", credential)
    post(client, "credential_enable", credential)
    post(client, "credential_delete", credential)
    post(client, "credential_delete", credential, {"replacement": other.pk})
    assert not Credential.objects.filter(pk=credential.pk).exists()

    secrets = (keys.VALID, REJECTED_MARKER, keys.SERVER_ERROR)
    rows = list(AuditEvent.objects.values())
    assert {row["action"] for row in rows} >= {
        "created", "checked", "key_replaced", "renamed", "description_edited", "disabled", "enabled", "used",
        "deleted",
    }
    for row in rows:
        text = repr(row)
        assert not any(secret in text for secret in secrets), row
    admin_page = admin_client.get(reverse("admin:credentials_app_auditevent_changelist")).content.decode()
    assert "Marker renamed" in admin_page
    assert not any(secret in admin_page for secret in secrets)
    for row in rows:
        event_page = admin_client.get(reverse("admin:credentials_app_auditevent_change", args=[row["id"]]))
        assert event_page.status_code == 200
        assert not any(secret in event_page.content.decode() for secret in secrets)
