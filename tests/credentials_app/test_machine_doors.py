"""The proxy and the Vault door answer what they do not support in their own format, and a lost key file likewise."""
import uuid

import pytest
from django.urls import reverse

from tests.credentials_app.machine_support import READ_SECRET, USE, make_token

pytestmark = pytest.mark.django_db
PROBLEM = "urn:credential-manager:problem:"
READ_PATH = "/v1/secret/data/connections/box-office"


@pytest.mark.parametrize("method", ["post", "put", "delete", "patch"])
@pytest.mark.parametrize("path", [READ_PATH, "/v1/auth/token/lookup-self"])
def test_a_vault_write_is_refused_as_vault_refuses_an_unsupported_operation(client, user_factory, method, path):
    """hvac gets Vault's 405 with {"errors": [...]}, never an HTML page."""
    _, raw = make_token(user_factory(), READ_SECRET)

    answer = getattr(client, method)(path, "{}", content_type="application/json", HTTP_X_VAULT_TOKEN=raw)

    assert answer.status_code == 405 and answer["Allow"] == "GET"
    assert answer["Content-Type"] == "application/json" and answer.json() == {"errors": ["unsupported operation"]}


@pytest.mark.parametrize("path", ["/v1/", "/v1/sys/mounts", "/v1/secret/metadata/connections/box-office",
                                  "/v1/auth/approle/login"])
def test_a_vault_path_the_app_does_not_serve_is_vaults_404(client, user_factory, path):
    """Unknown paths under /v1/ are Vault's 404 in JSON, so a client goes on to its next backend."""
    _, raw = make_token(user_factory(), READ_SECRET)

    answer = client.get(path, HTTP_X_VAULT_TOKEN=raw)

    assert answer.status_code == 404 and answer.json() == {"errors": []}


@pytest.mark.parametrize("path", ["/proxy/not-a-uuid/v1/events", "/proxy/00000000-0000-4000-8000-000000000001/", "/proxy/"])
def test_a_proxy_path_without_a_credential_is_a_not_found_problem(client, path):
    """A mistyped proxy URL is a problem a pipeline can parse, not an HTML page."""
    answer = client.get(path)

    assert answer.status_code == 404 and answer["Content-Type"] == "application/problem+json"
    assert answer.json()["type"] == PROBLEM + "not-found"


@pytest.fixture
def key_file_lost(settings, tmp_path, credential_factory, user_factory):
    """Store two secrets (one readable by machines), then lose the key file; return (owner, credential, path)."""
    owner = user_factory()
    credential = credential_factory(owner=owner, provider="humanitix", machine_reads_allowed=True,
                                    connection_name="box-office")
    credential_factory(owner=owner)
    settings.CREDENTIALS_ENCRYPTION_KEYS = []
    settings.CREDENTIALS_ENCRYPTION_KEY_FILE = tmp_path / "var" / "encryption.key"
    return owner, credential, str(settings.CREDENTIALS_ENCRYPTION_KEY_FILE)


def _add_credential(client):
    return client.post(
        reverse("credential_add", args=["source", "humanitix"]),
        {"name": "x", "key": "sandbox_key_valid", "creation_token": str(uuid.uuid4())},
        HTTP_ACCEPT="application/json",
    )


def test_only_staff_see_the_lost_key_files_path_and_the_secret_count(client, key_file_lost, user_factory, sandbox):
    """A person is told an operator must act; staff are told which file is missing and what it guards."""
    _, _, path = key_file_lost
    client.force_login(user_factory())
    person = _add_credential(client)
    client.force_login(user_factory(is_staff=True))
    staff = _add_credential(client)

    assert person.status_code == staff.status_code == 503
    assert path not in person.content.decode() and "secret(s)" not in person.content.decode()
    assert "manage.py check" in person.json()["message"]
    assert path in staff.json()["message"] and "holds 2 secret(s)" in staff.json()["message"]


def test_with_the_key_file_lost_each_machine_door_answers_503_in_its_own_format(client, key_file_lost, sandbox):
    """The API and the proxy answer a keyring-unavailable problem, Vault its {"errors": [...]}; none names the file."""
    owner, credential, path = key_file_lost
    _, raw = make_token(owner, USE, READ_SECRET)
    _, api_raw = make_token(owner, "credentials:read", "credentials:write")

    api = client.post("/api/v1/credentials/", {"provider": "humanitix", "name": "New", "key": "sandbox_key_valid"},
                      content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {api_raw}")
    proxied = client.get(f"/proxy/{credential.pk}/v1/events", HTTP_AUTHORIZATION=f"Bearer {raw}")
    vault = client.get(READ_PATH, HTTP_X_VAULT_TOKEN=raw)

    for answer in (api, proxied):
        assert answer.status_code == 503 and answer["Content-Type"] == "application/problem+json"
        assert answer.json()["type"] == PROBLEM + "keyring-unavailable"
    assert vault.status_code == 503 and vault["Content-Type"] == "application/json"
    assert vault.json()["errors"] and "manage.py check" in vault.json()["errors"][0]
    for answer in (api, proxied, vault):
        assert path not in answer.content.decode() and "secret(s)" not in answer.content.decode()
