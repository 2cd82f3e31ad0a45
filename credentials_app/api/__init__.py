"""The REST API at /api/v1/: one NinjaAPI, a router per entity, token auth, RFC 9457 errors."""
from functools import wraps

from django.http import HttpResponseNotAllowed
from django.urls import re_path
from django.views.decorators.csrf import csrf_exempt
from ninja import NinjaAPI

from credentials_app.api import connections, credentials, machine_reads, providers, sharing, teams, tokens
from credentials_app.api.idempotency import HEADER as IDEMPOTENCY_HEADER
from credentials_app.api.idempotency import MAX_KEY_LENGTH
from credentials_app.api.problems import install_handlers
from credentials_app.problems import CONTENT_TYPE as PROBLEM_CONTENT_TYPE
from credentials_app.problems import problem_response

IDEMPOTENCY_PARAMETER = {
    "name": IDEMPOTENCY_HEADER,
    "in": "header",
    "required": False,
    "description": "Send the same value when retrying: the first answer comes back and nothing is done twice.",
    "schema": {"type": "string", "minLength": 1, "maxLength": MAX_KEY_LENGTH},
}


def _not_found(request, *args, **kwargs):
    return problem_response("not-found", f"No endpoint answers {request.path}; see /api/v1/docs.")


def _wrong_method_as_problem(view):
    """Return view answering a method its path does not take with a problem instead of ninja's bare 405."""

    @wraps(view)
    def answer(request, *args, **kwargs):
        response = view(request, *args, **kwargs)
        if not isinstance(response, HttpResponseNotAllowed):
            return response
        allowed = response["Allow"]
        return problem_response("method-not-allowed", f"{request.path} takes {allowed}.", headers={"Allow": allowed})

    return answer


BODY_PROBLEMS = {
    400: "The body is not JSON (malformed-body).",
    413: "The body is over the size limit (request-too-large).",
}


class CredentialManagerApi(NinjaAPI):
    """NinjaAPI whose document says what the middleware and handlers add: problem+json, Idempotency-Key.

    Every answer under its prefix that is not a success is a problem: a path no endpoint takes
    (or an id that is not one) is not-found, a method the path does not take method-not-allowed.
    """

    def _get_urls(self):
        patterns = super()._get_urls()
        for pattern in patterns:
            pattern.callback = _wrong_method_as_problem(pattern.callback)
        return [*patterns, re_path(r"^", csrf_exempt(_not_found))]

    def get_openapi_schema(self, *args, **kwargs):
        schema = super().get_openapi_schema(*args, **kwargs)
        for path in schema["paths"].values():
            for method, operation in path.items():
                if method == "post":
                    operation.setdefault("parameters", []).append(IDEMPOTENCY_PARAMETER)
                if "requestBody" in operation:
                    # The parser and the size limit answer these before the operation runs.
                    for status, description in BODY_PROBLEMS.items():
                        operation["responses"].setdefault(str(status), {
                            "description": description,
                            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Problem"}}},
                        })
                for status, response in operation["responses"].items():
                    content = response.get("content", {})
                    if int(status) >= 400 and "application/json" in content:
                        content[PROBLEM_CONTENT_TYPE] = content.pop("application/json")
        return schema


api = CredentialManagerApi(
    title="Credential Manager API",
    version="1",
    description=(
        "Everything the web pages do, for scripts. Authenticate with `Authorization: Bearer <token>` "
        "(create tokens on the API tokens page). Every refusal is an RFC 9457 problem whose `type` "
        "never changes. POST requests accept an `Idempotency-Key` header. No answer ever carries a key."
    ),
    urls_namespace="api",
)
install_handlers(api)
api.add_router("/providers/", providers.router)
api.add_router("/credentials/", credentials.router)
api.add_router("/credentials/", sharing.router)
api.add_router("/credentials/", machine_reads.router)
api.add_router("/connections/", connections.router)
api.add_router("/teams/", teams.router)
api.add_router("/tokens/", tokens.router)
