"""/proxy/<credential id>/<path>: API tokens call every provider with a key they never receive."""
import collections
import json
import logging

import pytest
from django.core.signals import request_finished
from django.db import close_old_connections

from connectors.transport.proxy import PROVIDER_ANSWER_HEADER
from connectors.registry import CONNECTORS
from connectors.sandbox import keys
from credentials_app.crypto import generate_key
from credentials_app.models import AuditEvent, CredentialShare, MachineRefusalCount, ProxyUsage
from tests.connectors.reads import real_read
from tests.credentials_app.machine_support import READ, USE, leaked_keys, make_token

pytestmark = pytest.mark.django_db
Action = AuditEvent.Action


@pytest.fixture(params=CONNECTORS, ids=lambda connector: connector.id)
def connector(request):
    return request.param


@pytest.fixture
def call(client, sandbox):
    """Return a function sending connector's real read through the proxy; returns the response and its body."""
    sandbox.state.header_names.clear()

    def run(credential, raw_token=None, *, path=None, method=None, headers=None):
        default_method, default_path, query, body = real_read(credential.connector)
        target = f"/proxy/{credential.pk}/{path or default_path}" + (f"?{query}" if query and not path else "")
        extra = {"HTTP_ACCEPT": "application/json", **(headers or {})}
        if raw_token:
            extra["HTTP_AUTHORIZATION"] = f"Bearer {raw_token}"
        response = client.generic(method or default_method, target, data=body or b"",
                                  content_type="application/json", **extra)
        content = b"".join(response.streaming_content) if response.streaming else response.content
        return response, content

    return run


def _events(credential, action):
    return list(AuditEvent.objects.filter(credential=credential, action=action))


def test_every_provider_answers_through_the_proxy_and_no_key_comes_back(
    connector, call, credential_factory, user_factory, sandbox, caplog
):
    """The stored key reaches the provider as its connector declares; no answer, header or log line holds it."""
    caplog.set_level(logging.DEBUG)
    owner = user_factory()
    credential = credential_factory(owner=owner, provider=connector.id)
    _, raw = make_token(owner, USE)

    response, body = call(credential, raw)

    assert response.status_code == 200
    assert response[PROVIDER_ANSWER_HEADER] == "true"
    if connector.id == "moshtix":
        assert json.loads(body)["data"]["viewer"]["id"]  # the token went in as the GraphQL variable
    else:
        assert json.loads(body)
    assert len(sandbox.state.requests) == 1
    # The caller's Authorization (its API token) is never forwarded; only the connector's own header goes.
    assert "authorization" not in sandbox.state.header_names[-1] or connector.auth_header.lower() == "authorization"
    assert not leaked_keys(body.decode(), str(response.headers), *(r.getMessage() for r in caplog.records))


@pytest.mark.parametrize("key, status", [(keys.REJECTED, 401), (keys.SERVER_ERROR, 503), (keys.REDIRECT, 302)])
def test_provider_errors_come_back_marked_as_the_providers_and_without_the_key(
    connector, call, credential_factory, user_factory, caplog, key, status
):
    caplog.set_level(logging.DEBUG)
    owner = user_factory()
    credential = credential_factory(owner=owner, provider=connector.id, key=key)
    _, raw = make_token(owner, USE)

    response, body = call(credential, raw)

    if connector.id == "moshtix" and key == keys.REJECTED:
        assert response.status_code == 200  # Moshtix answers a refused token with 200 and errors
    else:
        assert response.status_code == status
    assert response[PROVIDER_ANSWER_HEADER] == "true"
    assert not leaked_keys(body.decode(errors="replace"), str(response.headers),
                           *(r.getMessage() for r in caplog.records))


def _problem(response, status):
    assert response.status_code == status
    assert response["Content-Type"] == "application/problem+json"
    assert PROVIDER_ANSWER_HEADER not in response
    problem = json.loads(response.content)
    assert problem["status"] == status and problem["title"] and problem["detail"] and problem["type"]
    return problem


def test_without_a_valid_token_nothing_is_sent_and_the_refusal_is_audited(call, credential_factory, sandbox):
    credential = credential_factory()

    for raw in (None, "cmk_not-a-token", "Basic dXNlcjpwdw=="):
        response, _ = call(credential, raw)
        _problem(response, 401)
        assert response["WWW-Authenticate"].startswith("Bearer")

    assert sandbox.state.requests == []
    # Audited beside the credential, not in the history of one the caller cannot see.
    assert not _events(credential, Action.PROXY_REFUSED)
    # The first of the hour is audited; the others are counted with it.
    [refusal] = AuditEvent.objects.filter(action=Action.PROXY_REFUSED, details__credential_id=str(credential.pk))
    assert refusal.details["status"] == 401 and "token" not in refusal.details and refusal.credential is None
    assert MachineRefusalCount.objects.get(credential=credential).count == 3


def test_a_token_without_the_use_scope_is_forbidden(call, credential_factory, user_factory, sandbox):
    owner = user_factory()
    credential = credential_factory(owner=owner)
    _, raw = make_token(owner, READ, name="metadata reader")

    response, _ = call(credential, raw)

    assert "credentials:use" in _problem(response, 403)["detail"]
    assert sandbox.state.requests == []
    [refusal] = _events(credential, Action.PROXY_REFUSED)
    assert refusal.details["token"] == "metadata reader" and refusal.details["status"] == 403


def test_a_credential_the_token_cannot_reach_is_not_found(call, credential_factory, user_factory, sandbox):
    """Another person's credential and one that does not exist answer alike: 404, nothing sent."""
    stranger = user_factory()
    credential = credential_factory()
    _, raw = make_token(stranger, USE)

    response, _ = call(credential, raw)
    _problem(response, 404)
    credential_id = credential.pk
    credential.delete()
    credential.pk = credential_id
    response, _ = call(credential, raw)
    _problem(response, 404)
    assert sandbox.state.requests == []


@pytest.mark.parametrize("level", [CredentialShare.Level.USE, CredentialShare.Level.MANAGE])
def test_a_team_share_grants_use_to_the_teams_tokens_and_its_members_tokens(
    call, credential_factory, user_factory, level, team_factory, share_factory):
    admin, member = user_factory(), user_factory()
    team = team_factory("Pipelines", admins=[admin], members=[member])
    credential = credential_factory()
    share_factory(credential, team, level)
    _, team_raw = make_token(admin, USE, team=team, name="nightly load")
    _, member_raw = make_token(member, USE)

    assert call(credential, team_raw)[0].status_code == 200
    assert call(credential, member_raw)[0].status_code == 200


def test_a_team_token_reaches_nothing_shared_with_another_team(call, credential_factory, user_factory, team_factory, share_factory):
    admin = user_factory()
    team = team_factory("Pipelines", admins=[admin])
    other = team_factory("Finance", admins=[admin])
    credential = credential_factory(owner=admin)
    share_factory(credential, other)
    _, team_raw = make_token(admin, USE, team=team)

    _problem(call(credential, team_raw)[0], 404)


def test_a_disabled_credential_answers_409_with_the_reason(call, credential_factory, user_factory, sandbox):
    owner = user_factory()
    credential = credential_factory(owner=owner)
    credential.disabled_at = credential.created_at
    credential.save()
    _, raw = make_token(owner, USE)

    assert "disabled" in _problem(call(credential, raw)[0], 409)["detail"]
    assert sandbox.state.requests == []


def test_a_key_that_cannot_be_decrypted_answers_409_with_the_reason(
    call, credential_factory, user_factory, settings, sandbox
):
    owner = user_factory()
    credential = credential_factory(owner=owner)
    _, raw = make_token(owner, USE)
    settings.CREDENTIALS_ENCRYPTION_KEYS = [generate_key()]

    assert "Can't decrypt" in _problem(call(credential, raw)[0], 409)["detail"]
    assert sandbox.state.requests == []


def test_past_the_rate_limit_the_provider_is_protected_with_429_and_retry_after(
    call, credential_factory, user_factory, settings, sandbox
):
    settings.PROXY_RATE_LIMIT_PER_MINUTE = 2
    owner = user_factory()
    credential = credential_factory(owner=owner)
    _, raw = make_token(owner, USE)

    assert [call(credential, raw)[0].status_code for _ in range(2)] == [200, 200]
    response, _ = call(credential, raw)

    _problem(response, 429)
    assert response["Retry-After"] == "30"  # the steady clock stands half-way through the minute
    assert len(sandbox.state.requests) == 2
    assert _events(credential, Action.PROXY_REFUSED)[0].details["status"] == 429


def test_a_provider_that_does_not_answer_in_time_is_a_504_problem(
    call, credential_factory, user_factory, settings, awaited_read_timeout
):
    settings.CONNECTOR_READ_TIMEOUT = awaited_read_timeout
    owner = user_factory()
    credential = credential_factory(owner=owner, key=keys.SLOW)
    _, raw = make_token(owner, USE)

    _problem(call(credential, raw)[0], 504)
    assert ProxyUsage.objects.get(credential=credential).status == 504
    assert not _events(credential, Action.PROXY_REFUSED)  # the provider failed; the proxy refused nothing


def test_a_path_leaving_the_provider_is_refused_as_a_problem(call, credential_factory, user_factory, sandbox):
    owner = user_factory()
    credential = credential_factory(owner=owner)
    _, raw = make_token(owner, USE)

    for path in ("v1/%2e%2e/%2e%2e/evil", "v1/x@evil.example", "https:/evil.example"):
        _problem(call(credential, raw, path=path)[0], 400)
    assert sandbox.state.requests == []
    assert [event.details["status"] for event in _events(credential, Action.PROXY_REFUSED)] == [400]
    assert MachineRefusalCount.objects.get(credential=credential).count == 3


def test_a_call_whose_caller_left_before_the_first_byte_is_still_counted(
    client, sandbox, credential_factory, user_factory
):
    """The server closes the response of a caller gone before reading any of it: the call counts all the same."""
    owner = user_factory()
    credential = credential_factory(owner=owner, provider="humanitix")
    _, raw = make_token(owner, USE)

    response = client.get(f"/proxy/{credential.pk}/v1/events/sandbox-event-1", HTTP_AUTHORIZATION=f"Bearer {raw}")
    # As a WSGI server closes it; without, as the test client does, ending the test's database connection.
    request_finished.disconnect(close_old_connections)
    try:
        response.close()
    finally:
        request_finished.connect(close_old_connections)

    assert ProxyUsage.objects.get(credential=credential).count == 1


def test_calls_are_counted_per_token_and_status_and_shown_on_the_credential_page(
    call, client, credential_factory, user_factory
):
    """The page says "Used by token X, N calls today, M errors"; the first use of each token is audited once."""
    owner = user_factory()
    credential = credential_factory(owner=owner)
    nightly, nightly_raw = make_token(owner, USE, name="nightly load")
    _, adhoc_raw = make_token(owner, USE, name="ad hoc")

    for _ in range(3):
        assert call(credential, nightly_raw)[0].status_code == 200
    assert call(credential, nightly_raw, path="v1/no-such-resource")[0].status_code == 404
    assert call(credential, adhoc_raw)[0].status_code == 200

    counts = collections.Counter()
    for row in ProxyUsage.objects.filter(credential=credential):  # two rows each if the hour turned meanwhile
        counts[row.token.name, row.status] += row.count
    assert counts == {("nightly load", 200): 3, ("nightly load", 404): 1, ("ad hoc", 200): 1}
    first_uses = _events(credential, Action.PROXY_FIRST_USE)
    assert sorted(event.details["token"] for event in first_uses) == ["ad hoc", "nightly load"]

    client.force_login(owner)
    page = client.get(f"/credentials/{credential.pk}/").content.decode()
    assert "Used by token nightly load" in page and "4 calls today, 1 error" in page
    assert "1 call today, 0 errors" in page
    assert "First call through the proxy (through API token “nightly load”)" in page


def test_a_request_body_is_streamed_to_the_provider(client, credential_factory, user_factory, sandbox):
    owner = user_factory()
    credential = credential_factory(owner=owner, provider="custify")
    _, raw = make_token(owner, USE)
    person = json.dumps({"email": "ada@example.com", "name": "Ada"}).encode()

    response = client.post(f"/proxy/{credential.pk}/people", data=person, content_type="application/json",
                           HTTP_AUTHORIZATION=f"Bearer {raw}", HTTP_ACCEPT="application/json")

    assert response.status_code == 200
    assert json.loads(b"".join(response.streaming_content))["email"] == "ada@example.com"
    assert sandbox.state.requests[-1][1:] == ("POST", "/people")


def test_bodiless_calls_through_a_real_server_reach_the_provider_bodiless(
    live_server, transactional_db, credential_factory, user_factory, sandbox
):
    """A GET with no body goes out with none, so the kept-alive provider connection stays in step."""
    import requests

    owner = user_factory()
    credential = credential_factory(owner=owner)
    _, raw = make_token(owner, USE)

    with requests.Session() as session:
        statuses = [
            session.get(f"{live_server.url}/proxy/{credential.pk}/v1/events/sandbox-event-1",
                        headers={"Authorization": f"Bearer {raw}"}, timeout=10).status_code
            for _ in range(5)
        ]

    assert statuses == [200] * 5
    assert "transfer-encoding" not in sandbox.state.header_names[-1]


def test_a_100_mb_answer_streams_through_the_view_in_bounded_memory(
    client, credential_factory, user_factory, sandbox
):
    import tracemalloc

    owner = user_factory()
    credential = credential_factory(owner=owner, key=keys.STREAM)
    _, raw = make_token(owner, USE)
    tracemalloc.start()
    try:
        response = client.get(f"/proxy/{credential.pk}/v1/events/sandbox-event-1", HTTP_AUTHORIZATION=f"Bearer {raw}")
        received = sum(len(chunk) for chunk in response.streaming_content)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert response.status_code == 200 and response["Content-Length"] == str(keys.STREAM_BYTES)
    assert received == keys.STREAM_BYTES
    # The sandbox runs in this process too; 8 MiB is generous against 100 MiB held whole.
    assert peak < 8 * 1024 * 1024
