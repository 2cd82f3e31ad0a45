"""A script's whole day through the API alone, on the sandbox: from a token to a deleted credential."""
import pytest

from connectors.sandbox import keys
from credentials_app.models import AuditEvent, Connection, Credential, mask_fingerprint
from tests.credentials_app.api.conftest import ApiClient

pytestmark = pytest.mark.django_db


def test_create_share_build_replace_read_history_and_delete(client, user_factory, sandbox, team_factory):
    """Every step answers as documented, the key is checked each time, and the history names the token."""
    ada = user_factory("ada")
    team = team_factory("Box office", admins=[ada])
    client.force_login(ada)
    page = client.post("/tokens/", {"name": "Provisioning", "expiry": "90", "scopes": [
        "credentials:read", "credentials:write", "credentials:check"]}, follow=True).content.decode()
    raw = page.split('<code id="new-token" class="token-once">')[1].split("</code>")[0]
    client.logout()
    api = ApiClient(client, raw)

    providers = api.get("/providers/").json()
    assert "humanitix" in [provider["id"] for provider in providers]

    refused = api.post("/credentials/", {"provider": "humanitix", "name": "Events", "key": "sandbox_key_rejected"})
    assert refused.status_code == 422 and refused["Content-Type"] == "application/problem+json"
    assert refused.json()["type"] == "urn:credential-manager:problem:key-rejected"
    assert not Credential.objects.exists()

    created = api.post("/credentials/", {"provider": "humanitix", "name": "Events", "key": "sandbox_key_valid"})
    assert created.status_code == 201, created.content
    credential = created.json()
    assert credential["status"] == "verified" and credential["fingerprint"] == mask_fingerprint(keys.VALID)

    shared = api.post(f"/credentials/{credential['id']}/shares", {"team": str(team.pk), "level": "use"})
    assert shared.status_code == 201 and shared.json()["team"] == "Box office"

    built = api.post("/connections/", {"kind": "source", "provider": "humanitix", "name": "Weekly events",
                                       "credential": credential["id"]})
    assert built.status_code == 201, built.content

    replaced = api.post(f"/credentials/{credential['id']}/key", {"key": "sandbox_key_rejected"})
    assert replaced.status_code == 422
    replaced = api.post(f"/credentials/{credential['id']}/key", {"key": "sandbox_key_valid"})
    assert replaced.status_code == 200

    in_use = api.delete(f"/credentials/{credential['id']}")
    assert in_use.status_code == 409 and in_use.json()["connections"][0]["name"] == "Weekly events"

    history = api.get(f"/credentials/{credential['id']}/history").json()["items"]
    summaries = [event["summary"] for event in history]
    assert any(text.startswith("Key replaced") for text in summaries)
    assert any(text.startswith("Shared with Box office") for text in summaries)
    assert all(event["token"] == "Provisioning" for event in history)
    assert all("(through API token “Provisioning”)" in text for text in summaries)

    successor = api.post("/credentials/", {"provider": "humanitix", "name": "Events 2", "key": "sandbox_key_valid"})
    moved = api.post(f"/credentials/{credential['id']}/move-and-delete", {"replacement": successor.json()["id"]})
    assert moved.status_code == 204
    assert Connection.objects.get().credential_id == Credential.objects.get().pk
    assert list(Credential.objects.values_list("name", flat=True)) == ["Events 2"]
    assert AuditEvent.objects.filter(action="deleted", details__token="Provisioning").exists()
