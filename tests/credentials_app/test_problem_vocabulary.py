"""One problem vocabulary: the API, the proxy and the Vault door name each refusal with the same type, for good."""
import json
import uuid

import pytest

from credentials_app.problems import PROBLEMS
from tests.credentials_app.machine_support import READ, READ_SECRET, USE, make_token

pytestmark = pytest.mark.django_db

# Spelled out by hand on purpose: a pipeline matches on these, so changing one must fail a test.
PINNED_TYPES = {
    "urn:credential-manager:problem:unauthenticated": 401,
    "urn:credential-manager:problem:missing-scope": 403,
    "urn:credential-manager:problem:forbidden": 403,
    "urn:credential-manager:problem:not-found": 404,
    "urn:credential-manager:problem:method-not-allowed": 405,
    "urn:credential-manager:problem:malformed-body": 400,
    "urn:credential-manager:problem:request-too-large": 413,
    "urn:credential-manager:problem:invalid-request": 422,
    "urn:credential-manager:problem:invalid-input": 422,
    "urn:credential-manager:problem:idempotency-key-reused": 422,
    "urn:credential-manager:problem:idempotency-key-in-progress": 409,
    "urn:credential-manager:problem:key-rejected": 422,
    "urn:credential-manager:problem:could-not-check": 409,
    "urn:credential-manager:problem:key-restricted": 409,
    "urn:credential-manager:problem:credential-in-use": 409,
    "urn:credential-manager:problem:credential-disabled": 409,
    "urn:credential-manager:problem:key-unavailable": 409,
    "urn:credential-manager:problem:machine-reads-not-allowed": 403,
    "urn:credential-manager:problem:check-budget-spent": 429,
    "urn:credential-manager:problem:rate-limit-reached": 429,
    "urn:credential-manager:problem:keyring-unavailable": 503,
    "urn:credential-manager:problem:server-error": 500,
    # The proxy engine's own refusals
    "urn:credential-manager:problem:proxy-error": 400,
    "urn:credential-manager:problem:path-refused": 400,
    "urn:credential-manager:problem:method-refused": 405,
    "urn:credential-manager:problem:body-refused": 400,
    "urn:credential-manager:problem:body-broken": 400,
    "urn:credential-manager:problem:body-too-large": 413,
    "urn:credential-manager:problem:proxy-misconfigured": 500,
    "urn:credential-manager:problem:upstream-unreachable": 502,
    "urn:credential-manager:problem:upstream-certificate": 502,
    "urn:credential-manager:problem:upstream-timeout": 504,
    "urn:credential-manager:problem:upstream-interim-answer": 502,
    "urn:credential-manager:problem:upstream-broken": 502,
    "urn:credential-manager:problem:answer-carried-key": 502,
}


def test_every_problem_type_and_status_is_the_one_callers_were_promised():
    """No problem type is renamed, dropped or given another status without this table changing too."""
    assert {problem.type: problem.status for problem in PROBLEMS.values()} == PINNED_TYPES
    assert all(problem.title for problem in PROBLEMS.values())


def _problem(response):
    assert response["Content-Type"] == "application/problem+json"
    body = json.loads(response.content)
    assert PINNED_TYPES[body["type"]] == body["status"] == response.status_code
    assert body["title"] == PROBLEMS[body["type"].rpartition(":")[2]].title
    return body


def test_a_missing_token_is_the_same_problem_at_the_api_and_the_proxy(client):
    """A script gets one type for "no token", whether it called the API or the proxy."""
    api = _problem(client.get("/api/v1/credentials/"))
    proxied = _problem(client.get(f"/proxy/{uuid.uuid4()}/v1/events"))

    assert api["type"] == proxied["type"] == "urn:credential-manager:problem:unauthenticated"


def test_the_proxys_refusals_carry_their_pinned_types(client, user_factory, credential_factory, sandbox):
    """A missing scope, an unreachable credential and a path that leaves the provider each have a stable type."""
    owner = user_factory()
    credential = credential_factory(owner=owner, provider="humanitix")
    _, use = make_token(owner, USE)
    _, read_only = make_token(owner, READ)

    def proxied(raw, credential_id=credential.pk, path="v1/events"):
        return _problem(client.get(f"/proxy/{credential_id}/{path}", HTTP_AUTHORIZATION=f"Bearer {raw}"))["type"]

    assert proxied(read_only) == "urn:credential-manager:problem:missing-scope"
    assert proxied(use, credential_id=uuid.uuid4()) == "urn:credential-manager:problem:not-found"
    assert proxied(use, path="v1/%2e%2e/x") == "urn:credential-manager:problem:path-refused"


def test_the_vault_door_answers_the_same_problems_in_vaults_words(client, user_factory, credential_factory):
    """Vault clients get Vault's {"errors": [...]}: 403 "permission denied" for a refused token, 404 for no secret."""
    owner = user_factory()
    credential = credential_factory(owner=owner, provider="humanitix")
    credential.machine_reads_allowed, credential.connection_name = True, "box-office"
    credential.save()
    _, read_only = make_token(owner, READ)
    _, reader = make_token(owner, READ_SECRET)
    url = "/v1/secret/data/connections/box-office"

    no_token = client.get(url)
    no_scope = client.get(url, HTTP_X_VAULT_TOKEN=read_only)
    unknown = client.get("/v1/secret/data/connections/nothing-here", HTTP_X_VAULT_TOKEN=reader)

    assert no_token.status_code == no_scope.status_code == 403
    assert no_token.json()["errors"][0] == no_scope.json()["errors"][0] == "permission denied"
    assert "credentials:read_secret" in no_scope.json()["errors"][1]
    assert unknown.status_code == 404 and unknown.json() == {"errors": []}
