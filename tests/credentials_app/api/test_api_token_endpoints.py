"""Tokens and machine reads through the API: a script goes from a write token to a pipeline reading a key."""
from datetime import timedelta

import pytest
from django.utils import timezone

from credentials_app.models import ApiToken, AuditEvent
from credentials_app.services.tokens import token_create

pytestmark = pytest.mark.django_db
Scope = ApiToken.Scope
Action = AuditEvent.Action
PROBLEM = "urn:credential-manager:problem:"


def test_a_person_lists_creates_and_revokes_their_tokens_and_each_act_is_audited(user_factory, api_client_for, client):
    """The token is shown once, works at once, is listed by prefix only, and stops at once when revoked."""
    ada = user_factory("ada")
    api = api_client_for(ada, scopes=[Scope.READ, Scope.WRITE], name="Admin script")

    created = api.post("/tokens/", {"name": "Nightly", "scopes": [Scope.READ], "expires_in_days": 30})
    new = created.json()
    listed = api.get("/tokens/").json()
    works = client.get("/api/v1/credentials/", HTTP_AUTHORIZATION=f"Bearer {new['token']}")
    revoked = api.post(f"/tokens/{new['id']}/revoke")
    refused = client.get("/api/v1/credentials/", HTTP_AUTHORIZATION=f"Bearer {new['token']}")

    assert created.status_code == 201 and new["token"].startswith("cmk_") and new["scopes"] == [Scope.READ]
    assert {"Nightly", "Admin script"} <= {token["name"] for token in listed}
    assert new["token"] not in str(listed) and new["token"] not in revoked.content.decode()
    assert works.status_code == 200 and refused.status_code == 401
    assert revoked.status_code == 200 and revoked.json()["revoked_at"]
    made, ended = (AuditEvent.objects.get(action=action, details__api_token="Nightly")
                   for action in (Action.TOKEN_CREATED, Action.TOKEN_REVOKED))
    for event in (made, ended):
        assert event.actor == ada and event.details["token"] == "Admin script"
        assert new["token"] not in str(event.details)


@pytest.mark.parametrize("body, field", [
    ({"scopes": [Scope.READ, Scope.READ_SECRET]}, "scopes"),
    ({"scopes": [Scope.READ], "expires_in_days": 60}, "expires_in_days"),
    ({"scopes": [Scope.READ], "expires_in_days": None}, "expires_in_days"),
])
def test_a_token_cannot_make_one_wider_or_longer_lived_than_itself(user_factory, client, body, field):
    """Scopes no wider than the calling token's, expiry no later: a leaked token cannot mint a better one."""
    ada = user_factory()
    _, raw = token_create(creator=ada, name="Short", scopes=[Scope.READ, Scope.WRITE], expires_in_days=30)

    answer = client.post("/api/v1/tokens/", {"name": "Wider", **body}, content_type="application/json",
                           HTTP_AUTHORIZATION=f"Bearer {raw}")

    assert answer.status_code == 422 and field in answer.json()["errors"]
    assert not ApiToken.objects.filter(name="Wider").exists()


def test_team_admins_manage_the_teams_tokens_and_members_and_team_tokens_do_not(
    user_factory, team_factory, api_client_for
):
    """An admin creates and revokes a team token; a member sees none of them; a team token is refused."""
    ada, bob = user_factory("ada"), user_factory("bob")
    team = team_factory("Ops", admins=[ada], members=[bob])
    admin = api_client_for(ada)

    created = admin.post("/tokens/", {"name": "Ops robot", "scopes": [Scope.USE], "team": str(team.pk)})
    team_token = created.json()
    member = api_client_for(bob)
    robot = api_client_for(ada, team=team, name="Other robot")

    assert created.status_code == 201 and team_token["team"] == str(team.pk)
    assert member.post("/tokens/", {"name": "Mine", "scopes": [Scope.USE], "team": str(team.pk)}).status_code == 403
    assert "Ops robot" not in {token["name"] for token in member.get("/tokens/").json()}
    assert member.post(f"/tokens/{team_token['id']}/revoke").status_code == 404
    assert robot.get("/tokens/").status_code == 403
    assert robot.post("/tokens/", {"name": "Minted", "scopes": [Scope.USE]}).status_code == 403
    assert admin.post(f"/tokens/{team_token['id']}/revoke").json()["revoked_at"]


def test_a_script_goes_from_a_write_token_to_a_pipeline_reading_the_key(user_factory, api_client_for, client, sandbox):
    """Create a credential, allow machine reads, mint a read-secret token: the Vault read returns the key."""
    ada = user_factory()
    api = api_client_for(ada, scopes=[Scope.READ, Scope.WRITE, Scope.READ_SECRET])
    credential = api.post("/credentials/", {"provider": "humanitix", "name": "Box office",
                                            "key": "sandbox_key_valid"}).json()

    reads = api.put(f"/credentials/{credential['id']}/machine-reads", {"allowed": True, "connection_id": "box-office"})
    pipeline = api.post("/tokens/", {"name": "Airflow", "scopes": [Scope.READ_SECRET], "expires_in_days": 7}).json()
    read = client.get("/v1/secret/data/connections/box-office", HTTP_X_VAULT_TOKEN=pipeline["token"])

    assert reads.status_code == 200 and reads.json() == {"allowed": True, "connection_id": "box-office"}
    assert api.get(f"/credentials/{credential['id']}/machine-reads").json()["connection_id"] == "box-office"
    assert read.status_code == 200 and read.json()["data"]["data"]["password"] == "sandbox_key_valid"
    event = AuditEvent.objects.get(action=Action.MACHINE_READS_ALLOWED)
    assert event.details["connection_name"] == "box-office" and event.details["token"]


def test_machine_reads_refuse_a_taken_connection_id(user_factory, api_client_for, credential_factory):
    """A connection id is unique: the second credential is told so and stays as it was."""
    ada = user_factory()
    credential_factory(owner=ada, machine_reads_allowed=True, connection_name="taken")
    other = credential_factory(owner=ada)
    api = api_client_for(ada)

    answer = api.put(f"/credentials/{other.pk}/machine-reads", {"allowed": True, "connection_id": "taken"})

    assert answer.status_code == 422 and answer.json()["type"] == PROBLEM + "invalid-input"
    other.refresh_from_db()
    assert not other.machine_reads_allowed and other.connection_name is None


def test_revoking_on_the_page_is_audited_too(user_factory, client):
    """The API tokens page goes through the same service: its revocations are in the audit log."""
    ada = user_factory()
    token, _ = token_create(creator=ada, name="Old", scopes=[Scope.READ], expires_in_days=1)
    client.force_login(ada)

    client.post(f"/tokens/{token.pk}/revoke/")

    event = AuditEvent.objects.get(action=Action.TOKEN_REVOKED)
    assert event.actor == ada and event.details["api_token_prefix"] == token.prefix
    assert timezone.now() - event.created_at < timedelta(minutes=1)


def test_a_token_made_with_an_idempotency_key_is_kept_for_a_retry_only_sealed(user_factory, api_client_for):
    """The retry gets the same token back, and the kept answer in the database does not hold it readable."""
    from credentials_app.models import IdempotencyRecord

    api = api_client_for(user_factory())
    body = {"name": "Nightly", "scopes": ["credentials:read"]}
    first = api.post("/tokens/", body, headers={"Idempotency-Key": "nightly-1"})
    retry = api.post("/tokens/", body, headers={"Idempotency-Key": "nightly-1"})

    raw = first.json()["token"]
    assert first.status_code == 201 and retry.json()["token"] == raw and retry["Idempotent-Replayed"] == "true"
    assert raw.encode() not in bytes(IdempotencyRecord.objects.get(key="nightly-1").body)
    assert ApiToken.objects.filter(name="Nightly").count() == 1
