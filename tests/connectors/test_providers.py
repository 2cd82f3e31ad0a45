"""What each provider documents that the others do not, checked against the sandbox."""
import base64
import json
import time
import uuid

import pytest
from django.urls import reverse

from connectors.base import Outcome, ProviderResponse
from connectors.providers.custify import Custify
from connectors.providers.humanitix import Humanitix
from connectors.providers.moshtix import Moshtix, jwt_expiry
from connectors.providers.peopleai import MOCK, PRODUCTION, STAGING, PeopleAi
from connectors.sandbox import keys
from connectors.providers.tixy import Tixy
from credentials_app.models import Credential


def _jwt(claims: dict) -> str:
    def part(data: dict) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")

    return f"{part({'alg': 'HS256', 'typ': 'JWT'})}.{part(claims)}.c2lnbmF0dXJl"


def _answer(status: int, body, headers=None) -> ProviderResponse:
    return ProviderResponse(status, headers or {}, json.dumps(body).encode())


# --- Humanitix --------------------------------------------------------------
def test_humanitix_reads_one_event_page(check, sandbox_server):
    """Humanitix is checked with GET /v1/events?page=1&pageSize=1."""
    assert check(Humanitix(), keys.VALID).outcome == Outcome.VERIFIED
    assert sandbox_server.state.requests == [("api.humanitix.com", "GET", "/v1/events")]
    assert sandbox_server.state.targets == ["/api.humanitix.com/v1/events?page=1&pageSize=1"]


def test_humanitix_401_is_rejected_with_invalid_api_key(check):
    """A 401 says Invalid API Key and warns that a new key invalidates the old one."""
    result = check(Humanitix(), keys.REJECTED)

    assert (result.outcome, result.status_code) == (Outcome.REJECTED, 401)
    assert "Invalid API Key" in result.message
    assert "invalidates the old one" in result.message


# --- Moshtix ----------------------------------------------------------------
def test_moshtix_token_is_a_graphql_variable_never_in_the_query_text():
    """The token is sent in variables; the query text only names the variable."""
    request = Moshtix().build_request(keys.VALID, {})

    assert (request.method, request.url) == ("POST", "https://api.moshtix.com/v1/graphql")
    assert request.json["variables"] == {"token": keys.VALID}
    assert keys.VALID not in request.json["query"]
    assert "viewer(token: $token)" in request.json["query"]
    assert keys.VALID not in repr(request.headers)


def test_moshtix_valid_token_is_verified_through_the_viewer(check, sandbox_server):
    """A valid token reads the authenticated viewer over POST /v1/graphql."""
    assert check(Moshtix(), keys.VALID).outcome == Outcome.VERIFIED
    assert sandbox_server.state.requests == [("api.moshtix.com", "POST", "/v1/graphql")]


def test_moshtix_errors_entry_with_http_200_is_rejected(check):
    """Moshtix answers 200 with an errors entry for a bad token: that is Rejected."""
    result = check(Moshtix(), keys.REJECTED)

    assert (result.outcome, result.status_code) == (Outcome.REJECTED, 200)
    assert "Control Room" in result.message


def test_moshtix_null_viewer_is_rejected():
    """A null viewer without errors means the token is not recognised."""
    result = Moshtix().interpret(_answer(200, {"data": {"viewer": None}}), {})

    assert result.outcome == Outcome.REJECTED


def test_moshtix_anonymous_answer_proves_nothing():
    """An answer without the viewer (what anonymous queries get) never counts as Verified."""
    result = Moshtix().interpret(_answer(200, {"data": {"events": {"items": []}}}), {})

    assert result.outcome == Outcome.COULD_NOT_CHECK


def test_moshtix_expired_jwt_is_rejected_before_any_request(check, sandbox_server):
    """An expired JWT is refused without calling Moshtix; the message says when it expired."""
    result = check(Moshtix(), keys.MOSHTIX_EXPIRED)

    assert result.outcome == Outcome.REJECTED
    assert "expired on 2020-09-13" in result.message
    assert sandbox_server.state.requests == []


def test_moshtix_unexpired_jwt_is_sent_to_moshtix(check, sandbox_server):
    """A JWT still within its exp is checked by Moshtix, not judged locally."""
    token = _jwt({"tokenId": "t-1", "iat": int(time.time()), "exp": int(time.time()) + 3600})

    result = check(Moshtix(), token)

    assert result.outcome == Outcome.REJECTED  # the sandbox does not know this token
    assert "expired" not in result.message
    assert len(sandbox_server.state.requests) == 1


def test_moshtix_jwt_with_deeply_nested_claims_is_rejected_by_moshtix_not_a_crash(check, sandbox_server):
    """A JWT whose payload nests JSON past what the decoder follows is sent to Moshtix, which refuses it."""
    payload = base64.urlsafe_b64encode(b'{"exp": ' + b"[" * 100_000).decode().rstrip("=")
    token = f"eyJhbGciOiJIUzI1NiJ9.{payload}.c2lnbmF0dXJl"

    assert jwt_expiry(token) is None
    result = check(Moshtix(), token)

    assert (result.outcome, result.status_code) == (Outcome.REJECTED, 200)
    assert len(sandbox_server.state.requests) == 1


# --- Custify ----------------------------------------------------------------
def test_custify_403_means_valid_key_that_may_not_read_companies(check, sandbox_server):
    """A 403 on /company/all is Restricted, not Rejected: the key works but may not read companies."""
    result = check(Custify(), keys.CUSTIFY_FORBIDDEN)

    assert (result.outcome, result.status_code) == (Outcome.RESTRICTED, 403)
    assert "may not read companies" in result.message
    assert sandbox_server.state.targets == ["/api.custify.com/company/all?page=1&itemsPerPage=1"]


def test_custify_429_without_retry_after_waits_the_documented_10_seconds():
    """Custify documents 10 s when Retry-After is missing."""
    result = Custify().interpret(_answer(429, {"message": "Too Many Requests"}), {})

    assert (result.outcome, result.retry_after) == (Outcome.COULD_NOT_CHECK, 10)
    assert "in 10 seconds" in result.message


def test_a_one_second_retry_reads_in_the_singular():
    """"Try again in 1 second", never "1 seconds"."""
    result = Custify().interpret(_answer(429, {}, {"Retry-After": "1"}), {})

    assert "Try again in 1 second." in result.message


def test_retry_after_as_an_http_date_is_honoured():
    """Retry-After may be an HTTP date; it becomes seconds from now."""
    later = time.strftime("%a, %d %b %Y %H:%M:%S GMT", time.gmtime(time.time() + 120))
    result = Custify().interpret(_answer(429, {}, {"Retry-After": later}), {})

    assert 100 <= result.retry_after <= 120


# --- TIXY -------------------------------------------------------------------
@pytest.mark.parametrize(
    ("token", "token_type", "target"),
    [
        (keys.VALID, "public", "/public-api.tixyapp.com/events?status=published"),
        (keys.TIXY_PRIVATE, "private", "/private-api.tixyapp.com/sales/terms"),
    ],
)
def test_tixy_token_type_decides_host_and_endpoint(check, sandbox_server, token, token_type, target):
    """The Token Type picks the public or the private host and its check endpoint."""
    assert check(Tixy(), token, {"token_type": token_type}).outcome == Outcome.VERIFIED
    assert sandbox_server.state.targets == [target]


def test_tixy_public_token_on_private_endpoints_is_access_denied(check):
    """A public token sent as a Private API Token gets the seed's Access Denied message."""
    result = check(Tixy(), keys.VALID, {"token_type": "private"})

    assert (result.outcome, result.status_code) == (Outcome.REJECTED, 403)
    assert result.message == (
        "Access Denied: this looks like a public token; private endpoints need the Private API Token."
    )


def test_tixy_private_token_on_public_endpoints_is_access_denied(check):
    """A private token sent as a Public API Token is told to switch the Token Type."""
    result = check(Tixy(), keys.TIXY_PRIVATE, {"token_type": "public"})

    assert (result.outcome, result.status_code) == (Outcome.REJECTED, 403)
    assert result.message.startswith("Access Denied: this looks like a private token")
    assert '"Private API Token"' in result.message


@pytest.mark.parametrize("token_type", ["public", "private"])
def test_tixy_unknown_token_is_invalid_token(check, token_type):
    """A 401 says the token was probably not copied whole."""
    result = check(Tixy(), keys.REJECTED, {"token_type": token_type})

    assert result.message == "Invalid Token: make sure the whole token was copied."


def test_tixy_labels_are_the_seeds_words():
    """The key field is "API Token"; the choice is "Token Type": Public or Private API Token."""
    (setting,) = Tixy.settings

    assert Tixy.key_label == "API Token"
    assert setting.label == "Token Type"
    assert [label for _, label in setting.choices] == ["Public API Token", "Private API Token"]


# --- People.ai --------------------------------------------------------------
@pytest.mark.parametrize(
    ("base_url", "key", "host"),
    [
        (PRODUCTION, keys.VALID, "api.people.ai"),
        (STAGING, keys.PEOPLEAI_STAGING, "api-staging.people.ai"),
        (MOCK, keys.PEOPLEAI_MOCK, "api-mock.people.ai"),
    ],
)
def test_peopleai_each_environment_hits_its_own_host(check, sandbox_server, base_url, key, host):
    """Each Base URL sends the check to its own host, GET /v0/public/team-members?limit=1."""
    assert check(PeopleAi(), key, {"base_url": base_url}).outcome == Outcome.VERIFIED
    assert sandbox_server.state.targets == [f"/{host}/v0/public/team-members?limit=1"]


def test_peopleai_base_url_defaults_to_production():
    """Production is the default Base URL, and the dropdown offers exactly the three documented ones."""
    (setting,) = PeopleAi.settings

    assert setting.label == "Environment"
    assert setting.default == "https://api.people.ai/v0/public"
    assert list(setting.choices) == [
        ("https://api.people.ai/v0/public", "Production"),
        ("https://api-staging.people.ai/v0/public", "Staging"),
        ("https://api-mock.people.ai/v0/public", "Mock"),
    ]


@pytest.mark.parametrize("environment", PeopleAi.settings[0].offered, ids=lambda choice: choice.label)
def test_peopleai_refusal_names_the_chosen_environment(check, environment):
    """A 401 names the environment the key was checked against, whichever it is."""
    result = check(PeopleAi(), keys.REJECTED, {"base_url": environment.value})

    assert (result.outcome, result.status_code) == (Outcome.REJECTED, 401)
    assert result.message.startswith(f"People.ai rejected the key for {environment.label} (401 Unauthorized).")


def test_peopleai_key_for_another_environment_is_rejected_naming_the_environment(check):
    """A Staging key checked against Production is Rejected, and the message names Production."""
    result = check(PeopleAi(), keys.PEOPLEAI_STAGING, {"base_url": PRODUCTION})

    assert (result.outcome, result.status_code) == (Outcome.REJECTED, 401)
    assert "Production" in result.message
    assert "Environment" in result.message


@pytest.mark.parametrize(
    "tampered", ["https://evil.example.com/v0/public", "http://api.people.ai/v0/public", PRODUCTION + "/"]
)
def test_peopleai_tampered_base_url_is_refused(tampered):
    """Only the three offered Base URLs are accepted; anything else is refused before any request."""
    with pytest.raises(ValueError, match="Environment: choose one of the listed options"):
        PeopleAi().clean_options({"base_url": tampered})


@pytest.mark.django_db
def test_overlay_refuses_a_tampered_base_url_and_stores_nothing(client, user_factory, sandbox):
    """A POST whose Base URL is not offered answers 400, stores nothing and contacts no one."""
    client.force_login(user_factory())

    response = client.post(
        reverse("credential_add", args=["source", "peopleai"]),
        {
            "name": "Sales activity",
            "key": keys.VALID,
            "base_url": "https://evil.example.com/v0/public",
            "creation_token": str(uuid.uuid4()),
        },
    )

    assert response.status_code == 400
    assert "base_url" in response.json()["errors"]
    assert keys.VALID not in response.content.decode()
    assert not Credential.objects.exists()
    assert sandbox.state.requests == []
