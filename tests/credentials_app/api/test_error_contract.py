"""Every answer under /api/v1/ that is not a success is a problem with a stable type, never an HTML page."""
import base64
import json

import pytest

pytestmark = pytest.mark.django_db
PROBLEM = "urn:credential-manager:problem:"


def _forged_cursor(*values) -> str:
    # The shape cursors had before they were signed: base64 of a JSON list.
    return base64.urlsafe_b64encode(json.dumps(list(values)).encode()).decode()


# (what the script did, method, path under /api/v1/ ({id} is a credential's), body, expected slug, status)
REFUSALS = [
    ("an unknown path", "get", "/nothing-here/", None, "not-found", 404),
    ("a path without its slash", "get", "/credentials", None, "not-found", 404),
    ("an id that is not a UUID", "get", "/credentials/not-a-uuid", None, "not-found", 404),
    ("a method the path does not take", "put", "/providers/", "{}", "method-not-allowed", 405),
    ("a body that is not JSON", "post", "/credentials/", "{", "malformed-body", 400),
    ("a body over the size limit", "post", "/credentials/", json.dumps({"name": "x" * 3_000_000}),
     "request-too-large", 413),
    ("a forged history cursor", "get", f"/credentials/{{id}}/history?cursor={_forged_cursor('2026-01-01', 'abc')}",
     None, "invalid-request", 422),
    ("a forged cursor out of a date's range", "get",
     f"/credentials/{{id}}/history?cursor={_forged_cursor('0001-01-01T00:00:00+01:00', '1')}", None,
     "invalid-request", 422),
    ("a cursor in the signed shape with a forged signature", "get",
     "/credentials/{id}/history?cursor=WyIwMDAxLTAxLTAxIiwiMSJd:forged", None, "invalid-input", 422),
    ("a name of spaces, which the schema rules out", "post", "/credentials/",
     json.dumps({"provider": "humanitix", "name": "   ", "key": "k"}), "invalid-request", 422),
    ("a key of spaces, which the schema rules out", "post", "/credentials/",
     json.dumps({"provider": "humanitix", "name": "Tickets", "key": " "}), "invalid-request", 422),
    ("an edit whose body is a list", "patch", "/credentials/{id}", "[1]", "invalid-request", 422),
    ("an edit whose body is a string", "patch", "/credentials/{id}", '"renamed"', "invalid-request", 422),
]


@pytest.mark.parametrize(
    "method, path, body, slug, status", [case[1:] for case in REFUSALS], ids=[case[0] for case in REFUSALS]
)
def test_every_refusal_is_a_problem_with_its_type(
    client, user_factory, credential_factory, api_client_for, method, path, body, slug, status
):
    """A script parses every refusal the same way, and learns which it was from the type."""
    owner = user_factory()
    credential = credential_factory(owner=owner, provider="humanitix", name="Box office")
    raw = api_client_for(owner).raw_token
    kwargs = {"content_type": "application/json", "data": body} if body is not None else {}

    response = getattr(client, method)(
        "/api/v1" + path.format(id=credential.pk), HTTP_AUTHORIZATION=f"Bearer {raw}", **kwargs
    )

    assert response.status_code == status
    assert response["Content-Type"] == "application/problem+json"
    problem = response.json()
    assert problem["type"] == PROBLEM + slug and problem["status"] == status and problem["detail"]
    credential.refresh_from_db()
    assert credential.name == "Box office"


def test_a_wrong_method_names_the_ones_the_path_takes(client, user_factory, api_client_for):
    """A 405 says in Allow which methods the path takes."""
    raw = api_client_for(user_factory()).raw_token

    response = client.delete("/api/v1/providers/", HTTP_AUTHORIZATION=f"Bearer {raw}")

    assert response.status_code == 405 and response["Allow"] == "GET"


def test_a_body_over_the_limit_is_413_with_an_idempotency_key_too(client, user_factory, api_client_for):
    """A retry-safe POST that is too large is told so, not answered with a server error."""
    raw = api_client_for(user_factory()).raw_token

    response = client.post(
        "/api/v1/credentials/", json.dumps({"name": "x" * 3_000_000}), content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {raw}", HTTP_IDEMPOTENCY_KEY="big-1",
    )

    assert response.status_code == 413 and response.json()["type"] == PROBLEM + "request-too-large"


def test_a_cursor_the_api_gave_out_still_pages(user_factory, api_client_for, credential_factory):
    """Signed cursors page on: the second page follows the first."""
    owner = user_factory()
    for number in range(3):
        credential_factory(owner=owner, provider="humanitix", name=f"Credential {number}")
    api = api_client_for(owner)

    first = api.get("/credentials/", limit=2).json()
    second = api.get("/credentials/", limit=2, cursor=first["next_cursor"]).json()

    assert [item["name"] for item in first["items"] + second["items"]] == [f"Credential {n}" for n in range(3)]


@pytest.mark.parametrize("key", ["", "k" * 256])
def test_an_idempotency_key_outside_the_documented_length_is_refused(client, user_factory, api_client_for, key):
    """An empty or over-long Idempotency-Key is refused before anything is done, as the schema says."""
    raw = api_client_for(user_factory()).raw_token

    response = client.post("/api/v1/teams/", {"name": "Ops"}, content_type="application/json",
                           HTTP_AUTHORIZATION=f"Bearer {raw}", HTTP_IDEMPOTENCY_KEY=key)

    assert response.status_code == 422 and response.json()["type"] == PROBLEM + "invalid-request"

