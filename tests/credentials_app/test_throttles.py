"""Check budgets: a script cannot use the app to test keys, and a person never meets the limit."""
import uuid

import pytest
from django.urls import reverse

from connectors.sandbox import keys
from credentials_app.models import AuditEvent, Credential

pytestmark = pytest.mark.django_db


def overlay_post(client, provider="humanitix", key=keys.REJECTED):
    return client.post(
        reverse("credential_add", args=["source", provider]),
        {"name": "Box office", "key": key, "creation_token": str(uuid.uuid4())},
    )


@pytest.fixture
def signed_in(client, user_factory):
    user = user_factory()
    client.force_login(user)
    return user


def test_overlay_checks_past_the_user_budget_get_429_with_when_to_retry(client, signed_in, sandbox, settings):
    """Over the per-user budget the overlay answers 429, says when to retry, and checks nothing."""
    settings.CHECK_BUDGET_PER_USER = 3
    for _ in range(3):
        assert overlay_post(client).status_code == 422
    checks_so_far = len(sandbox.state.requests)

    response = overlay_post(client, key=keys.VALID)

    assert response.status_code == 429
    assert response["Retry-After"] == "30"  # the steady clock stands half-way through a minute's window
    body = response.json()
    assert body["retry_after"] == 30
    assert "Try again in 30 seconds." in body["message"]
    assert keys.VALID not in response.content.decode()
    assert len(sandbox.state.requests) == checks_so_far
    assert not Credential.objects.exists()


def test_per_provider_budget_leaves_other_providers_open(client, signed_in, sandbox, settings):
    """Spending the budget for one provider still lets the user check a key of another."""
    settings.CHECK_BUDGET_PER_PROVIDER = 2
    overlay_post(client)
    overlay_post(client)
    assert overlay_post(client).status_code == 429
    assert overlay_post(client, provider="custify").status_code == 422


def test_budgets_are_per_user(client, signed_in, user_factory, sandbox, settings):
    """Another user's spent budget does not refuse my checks."""
    settings.CHECK_BUDGET_PER_USER = 1
    overlay_post(client)
    assert overlay_post(client).status_code == 429
    client.force_login(user_factory())
    assert overlay_post(client).status_code == 422


def test_a_new_window_restores_the_budget(client, signed_in, sandbox, settings, steady_clock):
    """Once the window has passed, checks are allowed again."""
    settings.CHECK_BUDGET_PER_USER = 1
    overlay_post(client)
    assert overlay_post(client).status_code == 429
    steady_clock.advance(settings.CHECK_BUDGET_WINDOW_SECONDS)
    assert overlay_post(client).status_code == 422


def test_refused_overlay_checks_are_audited_once_per_window(client, signed_in, sandbox, settings):
    """Ten refused attempts make one audit event, with no credential, naming the user and provider."""
    settings.CHECK_BUDGET_PER_USER = 1
    for _ in range(11):
        overlay_post(client)

    events = AuditEvent.objects.filter(action=AuditEvent.Action.CHECK_THROTTLED)
    assert events.count() == 1
    event = events.get()
    assert event.credential is None and event.actor == signed_in and event.provider == "humanitix"
    assert event.details == {"scope": "user", "limit": 1, "window_seconds": settings.CHECK_BUDGET_WINDOW_SECONDS}


def test_check_now_on_a_shared_credential_is_limited_per_credential(
    client, signed_in, credential_factory, sandbox, settings
):
    """Check now past the credential's budget answers 429, says so, keeps the status and audits once."""
    settings.CHECK_BUDGET_PER_CREDENTIAL = 2
    credential = credential_factory(owner=signed_in, status=Credential.Status.VERIFIED)
    url = reverse("credential_check_now", args=[credential.pk])
    assert client.post(url).status_code == 302
    assert client.post(url).status_code == 302
    checks_so_far = len(sandbox.state.requests)

    refused = [client.post(url) for _ in range(5)]

    assert {response.status_code for response in refused} == {429}
    assert "Too many key checks" in refused[0].content.decode()
    assert "The status stays “Verified”" in refused[0].content.decode()
    assert refused[0]["Retry-After"].isdigit()
    assert len(sandbox.state.requests) == checks_so_far
    events = credential.events.filter(action=AuditEvent.Action.CHECK_THROTTLED)
    assert events.count() == 1
    assert "Key checks refused" in client.get(reverse("credential_detail", args=[credential.pk])).content.decode()


def test_replace_key_spends_the_same_budget(client, signed_in, credential_factory, sandbox, settings):
    """A key replacement is a check too: over budget, the old key stays and the page says when to retry."""
    settings.CHECK_BUDGET_PER_CREDENTIAL = 1
    credential = credential_factory(owner=signed_in, key="sandbox_key_valid")
    client.post(reverse("credential_check_now", args=[credential.pk]))

    response = client.post(reverse("credential_replace_key", args=[credential.pk]), {"key": "sandbox_key_valid2"})

    assert response.status_code == 429
    assert "The key was not replaced. Too many key checks" in response.content.decode()
    credential.refresh_from_db()
    assert credential.decrypt_key() == "sandbox_key_valid"


def test_retesting_a_data_sources_credential_spends_the_same_budget(
    client, signed_in, credential_factory, connection_factory, sandbox, settings
):
    """Over budget, "Re-test" on a data source says when to try again instead of failing."""
    settings.CHECK_BUDGET_PER_CREDENTIAL = 1
    credential = credential_factory(owner=signed_in, key="sandbox_key_valid")
    connection = connection_factory(credential)
    client.post(reverse("connection_check", args=[connection.pk]))

    response = client.post(reverse("connection_check", args=[connection.pk]), follow=True)

    assert response.status_code == 200
    assert "was not checked. Too many key checks" in response.content.decode()
