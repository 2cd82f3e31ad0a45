"""Cancel during a check: the Save is abandoned, even when the server finishes the check anyway."""
import threading
import time
import uuid

import pytest
from django.db import connection
from django.urls import reverse

from connectors.sandbox import keys
from credentials_app.models import AuditEvent, Credential
from credentials_app.services.connections import connection_create
from credentials_app.services.credentials import (
    CreationCancelled,
    credential_create,
    credential_creation_cancel,
)


def create(owner, token, key=keys.VALID):
    return credential_create(owner=owner, provider="humanitix", name="Box office", key=key, creation_token=token)


@pytest.mark.django_db(transaction=True)
def test_cancel_while_the_provider_is_checking_stores_nothing(user_factory, sandbox, monkeypatch):
    """The check goes on in the server and succeeds, but the cancelled Save stores nothing."""
    monkeypatch.setattr(sandbox.state, "delay_seconds", 0.6)
    owner, token = user_factory(), uuid.uuid4()
    outcome = {}

    def save():
        try:
            outcome["credential"] = create(owner, token)
        except CreationCancelled as cancelled:
            outcome["cancelled"] = cancelled
        finally:
            connection.close()

    saving = threading.Thread(target=save)
    saving.start()
    time.sleep(0.2)  # the check is under way in the sandbox
    credential_creation_cancel(owner=owner, creation_token=token)
    saving.join(timeout=10)

    assert "cancelled" in outcome
    assert sandbox.state.requests, "The check did reach the provider."
    assert not Credential.objects.exists()


@pytest.mark.django_db
def test_cancel_arriving_after_the_save_deletes_it_and_records_why(user_factory, sandbox):
    """A Save that finished just before its Cancel arrived is undone, and the history says so."""
    owner, token = user_factory(), uuid.uuid4()
    credential = create(owner, token)

    assert credential_creation_cancel(owner=owner, creation_token=token) is True

    assert not Credential.objects.exists()
    event = AuditEvent.objects.get(action=AuditEvent.Action.CREATION_CANCELLED)
    assert event.credential_name == credential.name == "Box office" and keys.VALID not in str(event.details)
    with pytest.raises(CreationCancelled):
        create(owner, token)
    assert not Credential.objects.exists()


@pytest.mark.django_db
def test_cancel_never_deletes_someone_elses_or_a_used_credential(user_factory, sandbox):
    """Another user's token, or a credential already used by a data source, is left alone."""
    owner, other, token = user_factory(), user_factory(), uuid.uuid4()
    credential = create(owner, token)

    credential_creation_cancel(owner=other, creation_token=token)
    connection_create(owner=owner, kind="source", provider="humanitix", name="Events", credential=credential)
    credential_creation_cancel(owner=owner, creation_token=token)

    assert Credential.objects.get() == credential


@pytest.mark.django_db
def test_the_cancel_endpoint_answers_a_fresh_token_and_the_old_one_never_saves(client, user_factory, sandbox):
    """After Cancel, the overlay's old token is refused and a new one is handed out."""
    client.force_login(user_factory())
    token = str(uuid.uuid4())

    answer = client.post(reverse("credential_add_cancel", args=["source", "humanitix"]), {"creation_token": token})
    assert answer.status_code == 200
    assert answer.json()["next_creation_token"] != token

    late = client.post(
        reverse("credential_add", args=["source", "humanitix"]),
        {"name": "Box office", "key": keys.VALID, "creation_token": token},
    )
    assert late.status_code == 409
    assert late.json()["outcome"] == "cancelled"
    assert not Credential.objects.exists()
