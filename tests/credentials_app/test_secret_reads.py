"""Machine reads of a key: allowed per credential by its managers, read by the real hvac client as Airflow does."""
import json

import hvac
import hvac.exceptions
import pytest

from connectors.registry import get_connector
from connectors.sandbox import keys
from credentials_app.models import AuditEvent, Credential, CredentialShare
from tests.credentials_app.machine_support import READ_SECRET, USE, make_token

Action = AuditEvent.Action
PEOPLEAI_STAGING = {"base_url": "https://api-staging.people.ai/v0/public"}


def _allow(credential, name):
    Credential.objects.filter(pk=credential.pk).update(machine_reads_allowed=True, connection_name=name)


def _read(live_server, raw_token, name, *, mount="secret", folder="connections"):
    """Read a connection exactly as Airflow's VaultBackend does with kv_engine_version 2."""
    client = hvac.Client(url=live_server.url, token=raw_token)
    return client.secrets.kv.v2.read_secret_version(
        path=f"{folder}/{name}", mount_point=mount, raise_on_deleted_version=True
    )


@pytest.fixture
def granted(transactional_db, user_factory, credential_factory):
    """A People.ai credential on Staging, allowed for machine reads as "peopleai_prod", and a token reading it."""
    owner = user_factory()
    credential = credential_factory(owner=owner, provider="peopleai", key=keys.PEOPLEAI_STAGING,
                                    options=PEOPLEAI_STAGING, description="CRM activity")
    _allow(credential, "peopleai_prod")
    token, raw = make_token(owner, READ_SECRET, name="airflow prod")
    return credential, token, raw


def test_hvac_authenticates_with_a_token_and_not_without(live_server, granted):
    _, _, raw = granted

    assert hvac.Client(url=live_server.url, token=raw).is_authenticated()
    assert not hvac.Client(url=live_server.url, token="cmk_unknown").is_authenticated()
    assert not hvac.Client(url=live_server.url, token="").is_authenticated()


def test_airflow_reads_a_granted_credential_as_a_connection_and_the_read_is_audited(live_server, granted):
    credential, token, raw = granted

    answer = _read(live_server, raw, "peopleai_prod")

    connection = answer["data"]["data"]
    assert connection["conn_type"] == "peopleai"
    assert connection["host"] == get_connector("peopleai").base_url(PEOPLEAI_STAGING)
    assert connection["password"] == keys.PEOPLEAI_STAGING
    assert json.loads(connection["extra"]) == PEOPLEAI_STAGING
    assert answer["data"]["metadata"]["version"] == 1 and not answer["data"]["metadata"]["destroyed"]
    [read] = AuditEvent.objects.filter(credential=credential, action=Action.SECRET_READ)
    assert read.details["token"] == "airflow prod" and read.details["via"] == "vault"
    assert keys.PEOPLEAI_STAGING not in json.dumps(read.details)


def test_an_unknown_connection_id_or_path_is_not_found_so_airflow_asks_its_next_backend(live_server, granted):
    _, _, raw = granted

    for name, mount, folder in (("nope", "secret", "connections"), ("peopleai_prod", "other", "connections"),
                                ("peopleai_prod", "secret", "variables")):
        with pytest.raises(hvac.exceptions.InvalidPath):
            _read(live_server, raw, name, mount=mount, folder=folder)


def test_a_credential_the_token_cannot_reach_is_not_found(live_server, granted, user_factory):
    stranger = user_factory()
    _, raw = make_token(stranger, READ_SECRET)

    with pytest.raises(hvac.exceptions.InvalidPath):
        _read(live_server, raw, "peopleai_prod")


def test_reads_are_forbidden_without_the_scope_without_a_grant_or_when_disabled(live_server, granted):
    credential, token, raw = granted
    _, use_only = make_token(credential.owner, USE)

    with pytest.raises(hvac.exceptions.Forbidden):
        _read(live_server, use_only, "peopleai_prod")
    with pytest.raises(hvac.exceptions.Forbidden):
        _read(live_server, "cmk_unknown", "peopleai_prod")
    Credential.objects.filter(pk=credential.pk).update(disabled_at=credential.created_at)
    with pytest.raises(hvac.exceptions.Forbidden):
        _read(live_server, raw, "peopleai_prod")
    Credential.objects.filter(pk=credential.pk).update(disabled_at=None, machine_reads_allowed=False)
    with pytest.raises(hvac.exceptions.Forbidden):
        _read(live_server, raw, "peopleai_prod")
    assert not AuditEvent.objects.filter(action=Action.SECRET_READ).exists()


def test_a_team_token_reads_a_credential_shared_with_its_team(live_server, granted, user_factory, team_factory, share_factory):
    credential, _, _ = granted
    admin = user_factory()
    team = team_factory("Data platform", admins=[admin])
    share_factory(credential, team, CredentialShare.Level.USE)
    _, team_raw = make_token(admin, READ_SECRET, team=team, name="airflow team")

    assert _read(live_server, team_raw, "peopleai_prod")["data"]["data"]["password"] == keys.PEOPLEAI_STAGING


# --- The manager's switch on the credential's page -------------------------------------------------


@pytest.mark.django_db
def test_machine_reads_are_off_by_default_and_a_manager_turns_them_on_audited(client, credential_factory):
    credential = credential_factory(key="sandbox_key_valid")
    client.force_login(credential.owner)
    assert "Machine reads: off" in client.get(f"/credentials/{credential.pk}/").content.decode()

    response = client.post(f"/credentials/{credential.pk}/machine-reads/",
                           {"allowed": "on", "connection_name": "humanitix_events"}, follow=True)

    page = response.content.decode()
    assert "Machine reads: allowed, as connection id <code>humanitix_events</code>" in page
    assert "Machine reads allowed. Connection id “humanitix_events”" in page
    assert "sandbox_key_valid" not in page
    client.post(f"/credentials/{credential.pk}/machine-reads/", {"connection_name": "humanitix_events"})
    credential.refresh_from_db()
    assert not credential.machine_reads_allowed
    assert list(AuditEvent.objects.filter(credential=credential).values_list("action", flat=True)[:2]) == [
        Action.MACHINE_READS_DISALLOWED, Action.MACHINE_READS_ALLOWED,
    ]


@pytest.mark.django_db
def test_a_connection_id_must_be_slug_like_unique_and_present_to_allow_reads(client, credential_factory):
    taken = credential_factory()
    _allow(taken, "events")
    credential = credential_factory(owner=taken.owner)
    client.force_login(credential.owner)

    for name, error in (("", "Choose a connection id"), ("my events!", "letters"), ("events", "already used")):
        response = client.post(f"/credentials/{credential.pk}/machine-reads/",
                               {"allowed": "on", "connection_name": name})
        assert response.status_code == 400 and error in response.content.decode()
    credential.refresh_from_db()
    assert not credential.machine_reads_allowed and credential.connection_name is None


@pytest.mark.django_db
def test_only_managers_may_allow_machine_reads(client, credential_factory, user_factory, team_factory, share_factory):
    member = user_factory()
    credential = credential_factory()
    share_factory(credential, team_factory("Users", members=[member]), CredentialShare.Level.USE)
    client.force_login(member)

    response = client.post(f"/credentials/{credential.pk}/machine-reads/", {"allowed": "on", "connection_name": "x"})

    assert response.status_code == 403
    credential.refresh_from_db()
    assert not credential.machine_reads_allowed


def test_a_read_key_and_api_answers_are_never_cached(client, granted):
    """Answers to a token carry the key or credential data: no cache may keep them."""
    _, _, raw = granted
    vault = client.get("/v1/secret/data/connections/peopleai_prod", HTTP_X_VAULT_TOKEN=raw, SERVER_NAME="localhost")
    api = client.get("/api/v1/credentials/", HTTP_AUTHORIZATION=f"Bearer {raw}", SERVER_NAME="localhost")
    for answer in (vault, api):
        assert "no-store" in answer["Cache-Control"], answer.status_code


def test_only_version_one_of_a_connection_exists(live_server, granted):
    """Asking for version 2 (or any other) finds nothing and reads no key; versions 0 and 1 are the key."""
    credential, _, raw = granted
    client = hvac.Client(url=live_server.url, token=raw)

    for version in (2, 7):
        with pytest.raises(hvac.exceptions.InvalidPath):
            client.secrets.kv.v2.read_secret_version(path="connections/peopleai_prod", version=version,
                                                     mount_point="secret", raise_on_deleted_version=True)
    assert not AuditEvent.objects.filter(credential=credential, action=Action.SECRET_READ).exists()
    for version in (0, 1):
        answer = client.secrets.kv.v2.read_secret_version(path="connections/peopleai_prod", version=version,
                                                          mount_point="secret", raise_on_deleted_version=True)
        assert answer["data"]["data"]["password"] == keys.PEOPLEAI_STAGING
