"""Refused machine requests are counted per hour and cause; only the first of each is in the audit log."""
from datetime import timedelta

import pytest
from django.db.models import F, Q

from credentials_app.models import AuditEvent, Credential, MachineRefusalCount
from tests.credentials_app.machine_support import READ, READ_SECRET, make_token

pytestmark = pytest.mark.django_db
Action = AuditEvent.Action


def _proxy(client, credential, raw_token=None):
    headers = {"authorization": f"Bearer {raw_token}"} if raw_token else {}
    return client.get(f"/proxy/{credential.pk}/v1/events", headers=headers)


def _vault(client, name, raw_token=None):
    headers = {"x-vault-token": raw_token} if raw_token else {}
    return client.get(f"/v1/secret/data/connections/{name}", headers=headers)


def _refusals(credential, action=Action.PROXY_REFUSED):
    """Return the audit events of refusals naming credential, in its history or beside it."""
    return AuditEvent.objects.filter(
        Q(credential=credential) | Q(details__credential_id=str(credential.pk)), action=action
    )


def test_300_refusals_without_a_token_write_one_audit_row(client, credential_factory, sandbox):
    """Anyone who knows a credential's id gets 401 every time, but writes one audit row an hour, not one a request."""
    credential = credential_factory()

    statuses = {_proxy(client, credential).status_code for _ in range(300)}

    assert statuses == {401}
    assert _refusals(credential).count() == 1
    assert MachineRefusalCount.objects.get(credential=credential).count == 300
    assert sandbox.state.requests == []


def test_each_cause_and_each_hour_is_audited_once(client, credential_factory, user_factory):
    """A refusal for a new cause, or in a new hour, is audited again; the rest are counted."""
    owner = user_factory()
    credential = credential_factory(owner=owner)
    _, reader = make_token(owner, READ, name="metadata reader")
    for _ in range(3):
        assert _proxy(client, credential).status_code == 401
        assert _proxy(client, credential, reader).status_code == 403
    assert sorted(_refusals(credential).values_list("details__status", flat=True)) == [401, 403]

    MachineRefusalCount.objects.update(hour=F("hour") - timedelta(hours=1))
    assert _proxy(client, credential, reader).status_code == 403

    assert sorted(_refusals(credential).values_list("details__status", flat=True)) == [401, 403, 403]
    assert sorted(MachineRefusalCount.objects.values_list("cause", "count")) == [
        ("missing-scope", 1), ("missing-scope", 3), ("unauthenticated", 3)
    ]


def test_a_refused_vault_read_is_in_the_credentials_history_counted_the_same_way(client, credential_factory, user_factory):
    """Reads refused while machine reads are off are in the history once an hour, with the token's name, and counted."""
    owner = user_factory()
    credential = credential_factory(owner=owner)
    Credential.objects.filter(pk=credential.pk).update(connection_name="events_prod")
    _, raw = make_token(owner, READ_SECRET, name="airflow prod")

    statuses = {_vault(client, "events_prod", raw).status_code for _ in range(20)}

    assert statuses == {403}
    [event] = AuditEvent.objects.filter(credential=credential, action=Action.SECRET_READ_REFUSED)
    assert event.details["token"] == "airflow prod" and event.details["status"] == 403
    assert MachineRefusalCount.objects.get(credential=credential, via="vault").count == 20


def test_a_vault_read_without_a_token_is_recorded_beside_the_credential(client, credential_factory):
    """A read naming a connection id without a token is counted and audited beside the credential, not in its history."""
    credential = credential_factory()
    Credential.objects.filter(pk=credential.pk).update(machine_reads_allowed=True, connection_name="events_prod")

    assert {_vault(client, "events_prod").status_code for _ in range(5)} == {403}

    assert not AuditEvent.objects.filter(credential=credential, action=Action.SECRET_READ_REFUSED).exists()
    [event] = AuditEvent.objects.filter(action=Action.SECRET_READ_REFUSED, details__credential_id=str(credential.pk))
    assert event.credential is None and "token" not in event.details
    assert MachineRefusalCount.objects.get(credential=credential, via="vault").count == 5


def test_the_credentials_page_shows_todays_refusals(client, credential_factory, user_factory):
    """The credential's page says how many machine requests naming it were refused today, and why."""
    owner = user_factory()
    credential = credential_factory(owner=owner)
    for _ in range(4):
        _proxy(client, credential)
    client.force_login(owner)

    page = client.get(f"/credentials/{credential.pk}/").content.decode()

    assert "Refused today: 4 proxy requests (401 unauthenticated)" in page
