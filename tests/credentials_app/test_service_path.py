"""One path per action: what a client calling the services directly can and cannot store."""
import uuid

import pytest
from django.core.exceptions import ValidationError

from connectors.registry import CONNECTORS
from connectors.sandbox import keys
from credentials_app import crypto
from credentials_app.models import AuditEvent, Connection, Credential
from credentials_app.services.connections import connection_create
from credentials_app.services.credentials import CheckFailed, credential_check, credential_create
from credentials_app.services.teams import team_create

pytestmark = pytest.mark.django_db


def create(owner, key, **extra):
    return credential_create(owner=owner, provider="humanitix", name="Events", key=key, **extra)


def test_a_client_skipping_the_overlay_cannot_store_a_rejected_key(user_factory, sandbox):
    """The service checks the key itself: without the overlay, a rejected key is still refused."""
    owner = user_factory()
    with pytest.raises(CheckFailed) as refused:
        create(owner, keys.REJECTED, unverified_permit="forged-permit")
    assert refused.value.permit is None and not refused.value.can_save_unverified
    assert not Credential.objects.exists()


def test_could_not_check_issues_a_permit_that_saves_that_key_only(user_factory, sandbox):
    """The service hands out the permit with "could not check" and honours it for the same key alone."""
    owner, token = user_factory(), uuid.uuid4()
    with pytest.raises(CheckFailed) as first:
        create(owner, keys.SERVER_ERROR, creation_token=token)
    permit = first.value.permit
    assert permit and keys.SERVER_ERROR not in permit

    with pytest.raises(CheckFailed):
        create(owner, keys.REJECTED, creation_token=token, unverified_permit=permit)
    assert not Credential.objects.exists()

    sandbox.state.requests.clear()
    credential = create(owner, f"  {keys.SERVER_ERROR} ", creation_token=token, unverified_permit=permit)
    assert credential.status == Credential.Status.COULD_NOT_CHECK
    assert "server error (HTTP 503)" in credential.status_message
    assert credential.last_checked_at is not None
    assert not sandbox.state.requests, "A permitted save must not call the provider again."


def test_a_permit_is_bound_to_its_owner(user_factory, sandbox):
    """Another user presenting someone's permit gets their key checked, and nothing unchecked is stored."""
    owner, other, token = user_factory(), user_factory(), uuid.uuid4()
    with pytest.raises(CheckFailed) as first:
        create(owner, keys.SERVER_ERROR, creation_token=token)
    with pytest.raises(CheckFailed):
        credential_create(owner=other, provider="humanitix", name="Events", key=keys.SERVER_ERROR,
                          creation_token=uuid.uuid4(), unverified_permit=first.value.permit)
    assert not Credential.objects.exists()


@pytest.mark.parametrize("connector", [c for c in CONNECTORS if c.settings], ids=lambda connector: connector.id)
def test_service_refuses_settings_the_provider_does_not_offer(user_factory, sandbox, connector):
    """A setting value outside the provider's choices is refused on that setting's field."""
    setting = connector.settings[0]
    with pytest.raises(ValidationError) as refused:
        credential_create(owner=user_factory(), provider=connector.id, name="x", key=keys.VALID,
                          options={setting.name: "https://evil.example"})
    assert setting.name in refused.value.message_dict
    assert not Credential.objects.exists()


def test_a_creation_token_reused_by_another_user_or_provider_is_refused(user_factory, sandbox):
    """A form token already used elsewhere never returns someone else's credential, nor crashes."""
    owner, other, token = user_factory(), user_factory(), uuid.uuid4()
    mine = create(owner, keys.VALID, creation_token=token)

    with pytest.raises(ValidationError):
        credential_create(owner=other, provider="humanitix", name="Theirs", key=keys.VALID, creation_token=token)
    with pytest.raises(ValidationError):
        credential_create(owner=owner, provider="custify", name="Other", key=keys.VALID, creation_token=token)
    assert list(Credential.objects.all()) == [mine]
    assert create(owner, keys.VALID, creation_token=token) == mine


def test_a_connection_token_reused_by_another_user_is_refused(user_factory, credential_factory):
    owner, other = user_factory(), user_factory()
    token = uuid.uuid4()
    connection_create(owner=owner, kind="source", provider="humanitix", name="Mine",
                      credential=credential_factory(owner=owner), creation_token=token)
    with pytest.raises(ValidationError):
        connection_create(owner=other, kind="source", provider="humanitix", name="Theirs",
                          credential=credential_factory(owner=other), creation_token=token)
    assert Connection.objects.count() == 1


def test_a_connection_needs_a_credential_its_owner_may_use(user_factory, credential_factory):
    """The service, not only the page, refuses to build on a credential that is not shared with the owner."""
    owner = user_factory()
    with pytest.raises(ValidationError) as refused:
        connection_create(owner=owner, kind="source", provider="humanitix", name="Events",
                          credential=credential_factory())
    assert "credential" in refused.value.message_dict
    assert not Connection.objects.exists()


@pytest.mark.parametrize(
    "typed, stored",
    [("Ｅｖｅｎｔｓ", "Events"), ("  Events\u00a0", "Events"), ("ﬁnance", "finance")],
)
def test_names_are_stored_in_one_normal_form(user_factory, sandbox, typed, stored):
    """Names that look the same are the same name (NFKC), so a look-alike cannot sit beside the original."""
    owner = user_factory()
    assert credential_create(owner=owner, provider="humanitix", name=typed, key=keys.VALID).name == stored
    with pytest.raises(ValidationError):
        credential_create(owner=owner, provider="humanitix", name=stored, key=keys.VALID)


@pytest.mark.parametrize("hidden", ["\u200b", "\u202e", "\x07", "\u2066"])
def test_names_with_hidden_characters_are_refused(user_factory, sandbox, hidden):
    """Zero-width, bidirectional-override and control characters never reach a stored name."""
    owner = user_factory()
    with pytest.raises(ValidationError) as refused:
        credential_create(owner=owner, provider="humanitix", name=f"Ev{hidden}ents", key=keys.VALID)
    assert "name" in refused.value.message_dict
    with pytest.raises(ValidationError):
        team_create(creator=owner, name=f"Data{hidden}")
    assert not Credential.objects.exists()


def test_a_recheck_reseals_an_old_master_key_secret_in_the_same_write(credential_factory, settings, sandbox):
    """Checking a credential sealed under a retired master key moves it to the primary key."""
    old = settings.CREDENTIALS_ENCRYPTION_KEYS[0]
    credential = credential_factory(key=keys.VALID)
    old_id = credential.key_id
    settings.CREDENTIALS_ENCRYPTION_KEYS = [crypto.generate_key(), old]
    assert crypto.must_update(credential.secret)

    credential_check(credential=credential, actor=None)

    credential.refresh_from_db()
    assert credential.key_id == crypto.get_keyring().primary_id != old_id
    assert credential.decrypt_key() == keys.VALID
    assert credential.status == Credential.Status.VERIFIED
    assert AuditEvent.objects.filter(credential=credential, action=AuditEvent.Action.CHECKED).count() == 1


def test_an_unknown_storage_scheme_is_unreadable_not_a_crash(credential_factory):
    """A stored value whose prefix no scheme claims reads as "cannot decrypt", and must be updated."""
    credential = credential_factory()
    scheme, key_id, payload = credential.secret.split("$")
    credential.secret = f"rot13${key_id}${payload}"
    with pytest.raises(crypto.SecretUnavailable):
        credential.decrypt_key()
    assert crypto.must_update(credential.secret)


def test_a_key_refused_in_the_admin_is_audited_like_on_the_credential_page(admin_client, credential_factory, sandbox):
    """The admin's "Replace key" goes through the same service: a refusal is in the history, key kept."""
    from django.urls import reverse

    credential = credential_factory(key=keys.VALID)
    url = reverse("admin:credentials_app_credential_change", args=[credential.pk])
    response = admin_client.post(url, {"name": credential.name, "description": "", "new_key": keys.REJECTED})

    assert response.status_code == 200 and "The key was not replaced" in response.content.decode()
    (event,) = AuditEvent.objects.filter(credential=credential, action=AuditEvent.Action.CHECKED)
    assert event.details["attempt"] and event.actor_name == "admin"
    credential.refresh_from_db()
    assert credential.decrypt_key() == keys.VALID


def test_check_budgets_hold_for_any_client_of_the_services(user_factory, sandbox, settings):
    """The budget is spent in the service: a client that skips the pages is refused all the same."""
    from credentials_app.throttles import CheckThrottled

    settings.CHECK_BUDGET_PER_USER = 2
    owner = user_factory()
    for number in range(2):
        with pytest.raises(CheckFailed):
            credential_create(owner=owner, provider="humanitix", name=f"Try {number}", key=keys.REJECTED)
    sandbox.state.requests.clear()
    with pytest.raises(CheckThrottled) as refused:
        credential_create(owner=owner, provider="humanitix", name="Third", key=keys.REJECTED)
    assert refused.value.retry_after >= 1
    assert not sandbox.state.requests, "A refused check must not reach the provider."


def test_saving_with_a_permit_spends_no_check(user_factory, sandbox, settings):
    """'Save without checking' asks nobody, so it never counts against the budget."""
    settings.CHECK_BUDGET_PER_USER = 1
    owner, token = user_factory(), uuid.uuid4()
    with pytest.raises(CheckFailed) as first:
        create(owner, keys.SERVER_ERROR, creation_token=token)
    assert create(owner, keys.SERVER_ERROR, creation_token=token, unverified_permit=first.value.permit)
