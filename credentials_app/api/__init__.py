"""The REST API at /api/v1/: one NinjaAPI, a router per entity, token auth, RFC 9457 errors."""
from ninja import NinjaAPI

from credentials_app.api import connections, credentials, providers, sharing, teams
from credentials_app.api.idempotency import HEADER as IDEMPOTENCY_HEADER
from credentials_app.api.idempotency import MAX_KEY_LENGTH
from credentials_app.api.problems import install_handlers
from credentials_app.problems import CONTENT_TYPE as PROBLEM_CONTENT_TYPE

IDEMPOTENCY_PARAMETER = {
    "name": IDEMPOTENCY_HEADER,
    "in": "header",
    "required": False,
    "description": "Send the same value when retrying: the first answer comes back and nothing is done twice.",
    "schema": {"type": "string", "minLength": 1, "maxLength": MAX_KEY_LENGTH},
}


class CredentialManagerApi(NinjaAPI):
    """NinjaAPI whose document says what the middleware and handlers add: problem+json, Idempotency-Key."""

    def get_openapi_schema(self, *args, **kwargs):
        schema = super().get_openapi_schema(*args, **kwargs)
        for path in schema["paths"].values():
            for method, operation in path.items():
                if method == "post":
                    operation.setdefault("parameters", []).append(IDEMPOTENCY_PARAMETER)
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
api.add_router("/connections/", connections.router)
api.add_router("/teams/", teams.router)
