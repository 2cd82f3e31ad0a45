"""The Add Credential overlay endpoint: check with the provider, store encrypted, answer JSON."""
import uuid

import pytest
from django.urls import reverse

from connectors.sandbox import keys
from credentials_app.models import AuditEvent, Credential

pytestmark = pytest.mark.django_db


def add_url(provider="humanitix", kind="source"):
    return reverse("credential_add", args=[kind, provider])


def form_data(**overrides):
    data = {
        "name": "Box office",
        "description": "Reads events for the weekly report",
        "key": keys.VALID,
        "creation_token": str(uuid.uuid4()),
    }
    data.update(overrides)
    return data


@pytest.fixture
def signed_in(sign_in):
    return sign_in()


def test_verified_key_is_stored_encrypted_and_returned_as_a_selected_tile(client, signed_in, sandbox):
    """A valid key is checked, stored encrypted, and the answer carries the new, selected tile."""
    response = client.post(add_url(), form_data())

    assert response.status_code == 201
    body = response.json()
    credential = Credential.objects.get(pk=body["credential"]["id"])
    assert credential.owner == signed_in
    assert credential.status == Credential.Status.VERIFIED
    assert credential.decrypt_key() == keys.VALID
    assert keys.VALID not in credential.secret
    assert "checked" in body["tile_html"] and "Box office" in body["tile_html"]
    assert keys.VALID not in response.content.decode()
    assert ("api.humanitix.com", "GET", "/v1/events") in sandbox.state.requests
    assert AuditEvent.objects.filter(credential=credential, action="created").exists()


def test_rejected_key_stores_nothing_and_says_why_in_humanitix_terms(client, signed_in, sandbox):
    """A refused key stores nothing; the message names Humanitix's rule on new keys."""
    response = client.post(add_url(), form_data(key=keys.REJECTED))

    assert response.status_code == 422
    body = response.json()
    assert body["outcome"] == "rejected"
    assert "Invalid API Key" in body["message"]
    assert "invalidates the old one" in body["message"]
    assert body["can_save_unverified"] is False
    assert keys.REJECTED not in response.content.decode()
    assert not Credential.objects.exists()


def test_could_not_check_offers_save_without_checking_then_stores_could_not_check(client, signed_in, sandbox):
    """A 503 stores nothing at first; "Save without checking" then stores it as Could not check, saying why."""
    data = form_data(key=keys.SERVER_ERROR)
    first = client.post(add_url(), data)
    assert first.status_code == 422
    assert first.json()["can_save_unverified"] is True
    assert not Credential.objects.exists()

    second = client.post(add_url(), {**data, "save_unverified": first.json()["unverified_permit"]})

    assert second.status_code == 201
    credential = Credential.objects.get()
    assert credential.status == Credential.Status.COULD_NOT_CHECK
    assert "server error (HTTP 503)" in credential.status_message


def test_save_without_checking_cannot_be_forged_for_a_rejected_key(client, signed_in, sandbox):
    """Posting the flag by hand, or a permit from another overlay, still gets the key checked."""
    other_overlay = client.post(add_url(), form_data(key=keys.SERVER_ERROR)).json()["unverified_permit"]

    for forged in ("on", "true", other_overlay):
        response = client.post(add_url(), form_data(key=keys.REJECTED, save_unverified=forged))
        assert response.status_code == 422
        assert response.json()["outcome"] == "rejected"
    assert not Credential.objects.exists()


def test_rate_limit_message_says_when_to_retry(client, signed_in, sandbox):
    response = client.post(add_url(), form_data(key=keys.RATE_LIMITED))

    body = response.json()
    assert body["outcome"] == "could_not_check"
    assert body["retry_after"] == keys.RETRY_AFTER_SECONDS
    assert f"in {keys.RETRY_AFTER_SECONDS} seconds" in body["message"]


def test_double_submitted_save_creates_one_credential(client, signed_in, sandbox):
    """The same creation token twice (a double click) yields one credential, both answers 201."""
    data = form_data()
    first = client.post(add_url(), data)
    second = client.post(add_url(), data)

    assert first.status_code == second.status_code == 201
    assert first.json()["credential"]["id"] == second.json()["credential"]["id"]
    assert Credential.objects.count() == 1


def test_duplicate_name_gets_a_clear_message_and_no_provider_call(client, signed_in, sandbox, credential_factory):
    credential_factory(owner=signed_in, name="Box office")
    response = client.post(add_url(), form_data(name="box office"))

    assert response.status_code == 400
    assert "already have a Humanitix credential named" in response.json()["errors"]["name"][0]
    assert sandbox.state.requests == []
    assert Credential.objects.count() == 1


def test_signed_out_user_cannot_add(client, sandbox):
    response = client.post(add_url(), form_data())
    assert response.status_code == 302
    assert not Credential.objects.exists()


def test_double_submitted_create_makes_one_data_source(client, signed_in, credential_factory):
    """Continue, then a double-clicked "Create Data Source": one data source, both land on its page."""
    from credentials_app.models import Connection

    credential = credential_factory(owner=signed_in)
    url = reverse("authenticate", args=["source", "humanitix"])
    step = client.post(url, {"credential": str(credential.pk)})
    token = step.context["form"]["creation_token"].value()
    data = {"credential": str(credential.pk), "name": "Weekly events", "creation_token": str(token)}

    first, second = client.post(url, data), client.post(url, data)

    assert first.status_code == second.status_code == 302
    assert first.url == second.url
    assert Connection.objects.count() == 1


def test_a_permit_for_one_key_does_not_save_another_unchecked(client, signed_in, sandbox):
    """A permit won with an unreachable key cannot carry a different, rejected key past the check."""
    data = form_data(key=keys.SERVER_ERROR)
    permit = client.post(add_url(), data).json()["unverified_permit"]

    swapped = client.post(add_url(), {**data, "key": keys.REJECTED, "save_unverified": permit})

    assert swapped.status_code == 422
    assert swapped.json()["outcome"] == "rejected"
    assert not Credential.objects.exists()


@pytest.mark.parametrize(
    ("provider", "key", "options", "field"),
    [
        ("tixy", keys.TIXY_PRIVATE, {"token_type": "public"}, "token_type"),
        ("tixy", keys.VALID, {"token_type": "private"}, "token_type"),
        ("peopleai", keys.PEOPLEAI_STAGING, {"base_url": "https://api.people.ai/v0/public"}, "base_url"),
        ("humanitix", keys.REJECTED, {}, "key"),
        ("humanitix", keys.SERVER_ERROR, {}, None),
    ],
)
def test_a_refusal_names_the_field_to_mark(client, signed_in, sandbox, provider, key, options, field):
    """A refusal about a setting marks that setting; another refusal marks the key; could-not-check marks none."""
    response = client.post(add_url(provider), form_data(key=key, **options))

    assert response.status_code == 422
    assert response.json()["field"] == field
    assert not Credential.objects.exists()
