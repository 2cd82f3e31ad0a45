"""Every problem the app answers its machine callers with, for the API, the proxy and the Vault door.

A problem is a slug, a title and an HTTP status; its type, urn:credential-manager:problem:<slug>,
names it for good, whichever door answers it. Each door renders it in its own format: RFC 9457
application/problem+json for the API (/api/) and the proxy (/proxy/), Vault's {"errors": [...]} for
the Vault door (/v1/). The proxy engine's own refusals are declared on its ProxyError classes and
read from there, so they cannot drift apart.
"""
import json
from dataclasses import dataclass

from django.http import HttpResponse, JsonResponse

from connectors.transport.proxy import ProxyError

CONTENT_TYPE = "application/problem+json"
# URNs, not URLs: a type names the problem for good and need not be served anywhere.
TYPE_PREFIX = "urn:credential-manager:problem:"
VAULT_PREFIX = "/v1/"
# The doors machines use; each answers in its own format, never with a page.
MACHINE_PREFIXES = ("/api/", "/proxy/", VAULT_PREFIX)
# What a machine caller or a person who is not staff learns of a broken keyring: not the key file's
# path nor how many secrets it holds (those are for staff and `manage.py check`).
KEYRING_UNAVAILABLE_DETAIL = (
    "The encryption keys are unavailable, so nothing was read or changed. An operator must fix them; "
    "`python manage.py check --database default` names the fix."
)


@dataclass(frozen=True)
class ProblemType:
    """One kind of refusal: its slug (never renamed), title and HTTP status."""

    slug: str
    title: str
    status: int

    @property
    def type(self) -> str:
        return TYPE_PREFIX + self.slug


_APP_PROBLEMS = [
    # Who is asking, and may they
    ProblemType("unauthenticated", "A valid API token is needed", 401),
    ProblemType("missing-scope", "The token lacks the scope this needs", 403),
    ProblemType("forbidden", "Not allowed", 403),
    ProblemType("not-found", "Not found", 404),
    ProblemType("method-not-allowed", "This method is not allowed here", 405),
    # What they sent
    ProblemType("malformed-body", "The request body could not be read", 400),
    ProblemType("request-too-large", "The request body is larger than this app accepts", 413),
    ProblemType("invalid-request", "The request does not match the API's schema", 422),
    ProblemType("invalid-input", "The input was refused", 422),
    ProblemType("idempotency-key-reused", "This Idempotency-Key was used with another request", 422),
    ProblemType("idempotency-key-in-progress", "A request with this Idempotency-Key is still running", 409),
    # The credential and its key
    ProblemType("key-rejected", "The provider rejected the key", 422),
    ProblemType("could-not-check", "The provider could not be asked", 409),
    ProblemType("key-restricted", "The key is valid but has limited access", 409),
    ProblemType("credential-in-use", "The credential is still in use", 409),
    ProblemType("credential-disabled", "The credential is disabled", 409),
    ProblemType("key-unavailable", "The key cannot be decrypted", 409),
    ProblemType("machine-reads-not-allowed", "Machine reads of this key are not allowed", 403),
    # Limits
    ProblemType("check-budget-spent", "Too many key checks in a short time", 429),
    ProblemType("rate-limit-reached", "Too many calls with this credential in a short time", 429),
    # This install
    ProblemType("keyring-unavailable", "The encryption keyring is missing or malformed", 503),
    ProblemType("server-error", "Something went wrong on our side", 500),
]


def _proxy_engine_problems() -> list[ProblemType]:
    classes, found = [ProxyError], []
    while classes:
        cls = classes.pop(0)
        found.append(ProblemType(cls.slug, cls.title, cls.status))
        classes.extend(cls.__subclasses__())
    return found


def _declare(problems: list[ProblemType]) -> dict[str, ProblemType]:
    declared = {}
    for problem in problems:
        if problem.slug in declared:
            raise ValueError(f"Two problems share the slug {problem.slug!r}.")
        declared[problem.slug] = problem
    return declared


PROBLEMS: dict[str, ProblemType] = _declare(_APP_PROBLEMS + _proxy_engine_problems())


def problem_response(slug: str, detail: str = "", *, headers: dict | None = None, **extra) -> HttpResponse:
    """Return the RFC 9457 answer for the problem slug, with detail and any extra members."""
    kind = PROBLEMS[slug]
    body = {"type": kind.type, "title": kind.title, "status": kind.status, "detail": detail, **extra}
    response = HttpResponse(json.dumps(body), status=kind.status, content_type=CONTENT_TYPE)
    for name, value in (headers or {}).items():
        response[name] = value
    return response


def vault_response(slug: str, detail: str = "", *, headers: dict | None = None) -> JsonResponse:
    """Return the answer Vault gives for the problem slug: {"errors": [...]} under Vault's status.

    Vault answers a missing or refused token, and anything it will not show, as 403 "permission
    denied"; a path holding no secret as 404 with no message, which sends Airflow on to its next backend.
    """
    status = PROBLEMS[slug].status
    if status == 404:
        errors = []
    elif status in (401, 403, 409):
        status, errors = 403, ["permission denied", detail]
    else:
        errors = [detail or PROBLEMS[slug].title]
    return JsonResponse({"errors": [message for message in errors if message]}, status=status, headers=headers)


def door_response(request, slug: str, detail: str = "", *, headers: dict | None = None) -> HttpResponse:
    """Return the problem slug in the format of the door request came in by (Vault's, or RFC 9457)."""
    if request.path_info.startswith(VAULT_PREFIX):
        return vault_response(slug, detail, headers=headers)
    return problem_response(slug, detail, headers=headers)
