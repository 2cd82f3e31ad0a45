"""One function per documented host: a Request in, the Reply that provider documents out.

To emulate a new provider, write its function with the shared pieces (failure_for answers every
documented failure key, success every success variant, ACCEPTED lists the keys it accepts) and map
each of its documented hosts to it in EMULATIONS.
"""
import json
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from connectors.sandbox import keys


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]  # lower-case names
    body: bytes
    host: str
    slow_seconds: float = 25.0


@dataclass(frozen=True)
class Reply:
    status: int
    body: Any
    headers: dict[str, str] = field(default_factory=dict)
    content_type: str = "application/json"
    trickle: bool = False  # spread the body over the sandbox's trickle_seconds, in small pieces
    break_tls: bool = False  # send half the body, then bytes that are not a valid TLS record
    stream_bytes: int = 0  # instead of body, send a JSON body of this many bytes, generated piece by piece


def bearer(request: Request) -> str | None:
    value = request.headers.get("authorization", "")
    return value[len("Bearer "):] if value.startswith("Bearer ") else None


# Keys each provider accepts as valid (People.ai: on Production; TIXY: as a public token).
ACCEPTED = (keys.VALID, keys.SLOW, keys.HUGE_BODY, keys.TRICKLE, keys.BROKEN_TLS, keys.STREAM)


def success(key: str | None, body: Any) -> Reply:
    """Return a 200 with body; for the huge-body key, pad it past HUGE_BODY_BYTES, still valid JSON."""
    if key == keys.HUGE_BODY:
        padding = "x" * keys.HUGE_BODY_BYTES
        body = body + [padding] if isinstance(body, list) else {**body, "padding": padding}
    if key == keys.TRICKLE:
        return Reply(200, body, trickle=True)
    if key == keys.BROKEN_TLS:
        return Reply(200, body, break_tls=True)
    if key == keys.STREAM:
        return Reply(200, body, stream_bytes=keys.STREAM_BYTES)
    return Reply(200, body)


def failure_for(key: str | None, request: Request) -> Reply | None:
    """Return the failure reply a documented failure key asks for; sleep for the slow key."""
    if key == keys.SLOW:
        time.sleep(request.slow_seconds)
    if key == keys.RATE_LIMITED:
        return Reply(429, {"message": "Too Many Requests"}, {"Retry-After": str(keys.RETRY_AFTER_SECONDS)})
    if key == keys.RATE_LIMITED_BRIEFLY:
        return Reply(429, {"message": "Too Many Requests"}, {"Retry-After": str(keys.BRIEF_RETRY_AFTER_SECONDS)})
    if key == keys.SERVER_ERROR:
        return Reply(503, {"message": "Service Unavailable"})
    if key == keys.BAD_BODY:
        return Reply(200, b"<html><body>Down for maintenance</body></html>", content_type="text/html")
    if key == keys.REDIRECT:
        # Followed, this would reach the sandbox again (and be recorded): the app must not follow.
        # The cookie must reach neither the caller of a proxy nor any later request.
        return Reply(302, {"message": "Found"}, {"Location": f"/{request.host}/redirected",
                                                 "Set-Cookie": "sandbox_session=1; Path=/; Secure"})
    return None


# --- Humanitix --------------------------------------------------------------
def humanitix(request: Request) -> Reply:
    resource = request.path.removeprefix("/v1/")
    listing = resource in ("events", "tags")
    if request.method != "GET" or not (listing or resource.startswith("events/")):
        return Reply(404, {"statusCode": 404, "error": "Not Found", "message": "Not Found"})
    key = request.headers.get("x-api-key")
    if not key:
        return Reply(403, {"statusCode": 403, "error": "Forbidden", "message": "Forbidden"})
    failure = failure_for(key, request)
    if failure:
        return failure
    if key not in ACCEPTED:
        return Reply(401, {"statusCode": 401, "error": "Unauthorized", "message": "Invalid API Key."})
    if not listing:
        return _humanitix_event(key, resource.removeprefix("events/"))
    if "page" not in request.query:
        return Reply(400, {"statusCode": 400, "error": "Bad Request", "message": '"page" is required'})
    page_size = int(request.query.get("pageSize", 100))
    items = [{"_id": "sandbox-event-1", "name": "Sandbox Festival"}][:page_size]
    return success(key, {"total": 1, "page": int(request.query["page"]), "pageSize": page_size, resource: items})


def _humanitix_event(key: str, event_id: str) -> Reply:
    """Answer GET /v1/events/{id}, one event by its id."""
    if event_id != "sandbox-event-1":
        return Reply(404, {"statusCode": 404, "error": "Not Found", "message": "Event not found"})
    return success(key, {"_id": event_id, "name": "Sandbox Festival", "currency": "AUD"})


# --- Moshtix ----------------------------------------------------------------
def moshtix(request: Request) -> Reply:
    if request.method != "POST" or request.path != "/v1/graphql":
        return Reply(404, {"errors": [{"message": "Not found"}]})
    try:
        payload = json.loads(request.body or b"{}")
    except ValueError:
        return Reply(200, {"errors": [{"message": "Syntax Error: could not parse the request body"}], "data": None})
    query = payload.get("query") or ""
    token = (payload.get("variables") or {}).get("token")
    declared = re.search(r"\$token\s*:\s*(\w+)", query)
    if declared and declared.group(1) != "String" and token is not None:
        # As GraphQL servers coerce variables: a value that does not fit its declared type is repeated in the error.
        kind = declared.group(1)
        return Reply(200, {"errors": [{"message": f'Variable "$token" got invalid value {json.dumps(token)}; '
                                                  f"{kind} cannot represent a non-{kind.lower()} value."}]})
    failure = failure_for(token, request)
    if failure:
        return failure
    if "viewer" not in query:
        # Anonymous queries succeed: public events need no token.
        return Reply(200, {"data": {"events": {"items": [{"id": 1, "name": "Sandbox Gig"}]}}})
    if token is None:
        return Reply(200, {"data": {"viewer": None}})
    if token not in ACCEPTED:
        return Reply(200, {"errors": [{"message": "Access denied. Invalid token", "path": ["viewer"]}],
                           "data": {"viewer": None}})
    return success(token, {"data": {"viewer": {"id": "4242", "username": "sandbox-client"}}})


# --- Custify ----------------------------------------------------------------
def custify(request: Request) -> Reply:
    writing = request.method == "POST" and request.path == "/people"
    if not writing and (request.method != "GET" or request.path != "/company/all"):
        return Reply(404, {"message": "Not Found"})
    key = bearer(request)
    failure = failure_for(key, request)
    if failure:
        return failure
    if key == keys.CUSTIFY_FORBIDDEN:
        return Reply(403, {"message": "Forbidden"})
    if key not in ACCEPTED:
        return Reply(401, {"message": "Unauthorized"})
    if writing:
        return _custify_person(request)
    return success(key, {"total": 1, "companies": [{"id": "c-1", "name": "Sandbox Ltd"}]})


def _custify_person(request: Request) -> Reply:
    """Answer POST /people (create or update a person by user_id or email): the person as stored."""
    try:
        person = json.loads(request.body)
    except ValueError:
        return Reply(400, {"message": "Invalid JSON body"})
    if not isinstance(person, dict) or not (person.get("user_id") or person.get("email")):
        return Reply(422, {"message": "user_id or email is required"})
    return Reply(200, {"id": "p-1", **person})


# --- TIXY -------------------------------------------------------------------
_TIXY_PUBLIC_READS = {"/events", "/events/published", "/tours"}
_TIXY_PRIVATE_READS = {"/sales/terms", "/statistics/events", "/sales/events"}


def _tixy(request: Request, *, private: bool) -> Reply:
    reads = _TIXY_PRIVATE_READS if private else _TIXY_PUBLIC_READS
    if request.method != "GET" or request.path not in reads:
        return Reply(404, {"message": "Not Found"})
    token = bearer(request)
    failure = failure_for(token, request)
    if failure:
        return failure
    if token not in ACCEPTED + (keys.TIXY_PRIVATE,):
        return Reply(401, {"message": "Unauthenticated."})
    if private != (token == keys.TIXY_PRIVATE):
        return Reply(403, {"message": "Access denied."})
    if request.path == "/sales/terms":
        return success(token, {"terms": "Sandbox sales terms"})
    return success(token, [{"id": 7, "name": "Sandbox Show", "status": "published"}])


def tixy_public(request: Request) -> Reply:
    return _tixy(request, private=False)


def tixy_private(request: Request) -> Reply:
    return _tixy(request, private=True)


# --- People.ai --------------------------------------------------------------
_PEOPLEAI_KEYS = {
    "api.people.ai": ACCEPTED,
    "api-staging.people.ai": (keys.PEOPLEAI_STAGING,),
    "api-mock.people.ai": (keys.PEOPLEAI_MOCK,),
}


def peopleai(request: Request) -> Reply:
    resource = request.path.removeprefix("/v0/public")
    if request.method != "GET" or resource not in ("/team-members", "/accounts", "/activities"):
        return Reply(404, {"message": "Not Found"})
    key = request.headers.get("x-api-key")
    failure = failure_for(key, request)
    if failure:
        return failure
    if key not in _PEOPLEAI_KEYS[request.host]:
        return Reply(401, {"message": "Unauthorized"})
    limit = int(request.query.get("limit", 50))
    return success(key, {"data": [{"id": "tm-1", "email": "rep@example.com"}][:limit], "total": 1})


EMULATIONS: dict[str, Callable[[Request], Reply]] = {
    "api.humanitix.com": humanitix,
    "api.moshtix.com": moshtix,
    "api.custify.com": custify,
    "public-api.tixyapp.com": tixy_public,
    "private-api.tixyapp.com": tixy_private,
    "api.people.ai": peopleai,
    "api-staging.people.ai": peopleai,
    "api-mock.people.ai": peopleai,
}
