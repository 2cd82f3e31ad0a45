"""The machine endpoints' short middleware path: what it skips, and what every answer on it still gets."""
import uuid

import pytest
from django.urls import URLPattern, get_resolver

from connectors.transport.proxy import PROVIDER_ANSWER_HEADER
from credentials_app.middleware import MachineEndpointsMiddleware
from credentials_app.machine import views as machine
from tests.credentials_app.machine_support import USE, make_token

pytestmark = pytest.mark.django_db


def _routes(patterns, prefix=""):
    for pattern in patterns:
        route = prefix + str(pattern.pattern)
        if isinstance(pattern, URLPattern):
            yield route, pattern.callback
        else:
            yield from _routes(pattern.url_patterns, route)


def test_the_short_path_serves_exactly_the_machine_views():
    """Every route under the short path's prefixes is a machine view, and every machine view is under them."""
    routes = list(_routes(get_resolver().url_patterns))
    under = {route: view for route, view in routes
             if ("/" + route.lstrip("^")).startswith(MachineEndpointsMiddleware.path_prefixes)}
    assert under, "the prefixes must cover the machine routes"
    assert all(view.__module__ == machine.__name__ for view in under.values()), under
    machine_routes = {route for route, view in routes if view.__module__ == machine.__name__}
    assert machine_routes == set(under)


def _machine_answers(client, raw_token):
    return {
        "proxy without a token": client.get(f"/proxy/{uuid.uuid4()}/v1/events"),
        "proxy, unknown credential": client.get(f"/proxy/{uuid.uuid4()}/v1/events",
                                                HTTP_AUTHORIZATION=f"Bearer {raw_token}"),
        "Vault read without a token": client.get("/v1/secret/data/connections/none"),
        "Vault token lookup": client.get("/v1/auth/token/lookup-self", HTTP_X_VAULT_TOKEN=raw_token),
    }


def test_machine_answers_keep_the_security_headers_and_are_never_cached(client, user_factory):
    """Skipping the browser middleware drops no protective header, and sets no cookie."""
    _, raw = make_token(user_factory(), USE)
    answers = _machine_answers(client, raw)

    assert [answer.status_code for answer in answers.values()] == [401, 404, 403, 200]
    for name, answer in answers.items():
        assert answer["X-Frame-Options"] == "DENY", name
        assert answer["X-Content-Type-Options"] == "nosniff", name
        assert "default-src" in answer["Content-Security-Policy"], name
        assert "no-store" in answer["Cache-Control"], name
        assert answer["Content-Length"] == str(len(answer.content)), name
        assert not answer.cookies, name
        assert "Cookie" not in answer.get("Vary", ""), name


def test_a_host_outside_allowed_hosts_is_refused_on_the_short_path_too(client, user_factory):
    _, raw = make_token(user_factory(), USE)

    vault = client.get("/v1/auth/token/lookup-self", HTTP_HOST="evil.example", HTTP_X_VAULT_TOKEN=raw)
    proxied = client.get(f"/proxy/{uuid.uuid4()}/v1/events", HTTP_HOST="evil.example",
                         HTTP_AUTHORIZATION=f"Bearer {raw}")

    assert vault.status_code == proxied.status_code == 400


def test_machine_endpoints_answer_before_the_first_account_exists(client):
    """A fresh install sends people to /setup/; a machine client gets its own refusal, not a redirect."""
    assert client.get("/").url.endswith("/setup/")

    proxied = client.get(f"/proxy/{uuid.uuid4()}/v1/events", HTTP_AUTHORIZATION="Bearer cm_nothing")
    vault = client.get("/v1/secret/data/connections/none", HTTP_X_VAULT_TOKEN="cm_nothing")

    assert proxied.status_code == 401 and proxied["Content-Type"] == "application/problem+json"
    assert vault.status_code == 403 and vault.json()["errors"][0] == "permission denied"


def test_a_form_body_in_another_charset_reaches_the_provider_untouched(client, sandbox, credential_factory, user_factory):
    """Form charsets are the browser pages' rule: the proxy forwards any body as it came."""
    owner = user_factory()
    credential = credential_factory(owner=owner, provider="humanitix")
    _, raw = make_token(owner, USE)

    answer = client.post(f"/proxy/{credential.pk}/v1/events", data="name=caf%E9".encode(),
                         content_type="application/x-www-form-urlencoded; charset=latin-1",
                         HTTP_AUTHORIZATION=f"Bearer {raw}")

    assert answer[PROVIDER_ANSWER_HEADER] == "true"
    assert sandbox.state.requests[-1][1:] == ("POST", "/v1/events")


@pytest.mark.parametrize("accept", ["application/json", "text/html"])
def test_a_broken_keyring_on_a_machine_path_is_a_503_in_the_doors_format(
    client, settings, sandbox, credential_factory, user_factory, accept
):
    """A malformed encryption key is a 503 problem on the short path, naming no configuration to a token holder."""
    owner = user_factory()
    credential = credential_factory(owner=owner, provider="humanitix")
    _, raw = make_token(owner, USE)
    settings.CREDENTIALS_ENCRYPTION_KEYS = ["not-a-key"]

    answer = client.get(f"/proxy/{credential.pk}/v1/events", HTTP_AUTHORIZATION=f"Bearer {raw}", HTTP_ACCEPT=accept)

    assert answer.status_code == 503 and answer["Content-Type"] == "application/problem+json"
    assert answer.json()["type"] == "urn:credential-manager:problem:keyring-unavailable"
    assert "CREDENTIALS_ENCRYPTION_KEYS" not in answer.content.decode()
    assert "no-store" in answer["Cache-Control"]
