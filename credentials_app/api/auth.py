"""Bearer-token authentication for the API, with a scope per operation."""
from functools import wraps

from ninja.security import HttpBearer

from credentials_app import events
from credentials_app.api.problems import MissingScope
from credentials_app.models import ApiToken
from credentials_app.services.tokens import token_authenticate

Scope = ApiToken.Scope


class TokenAuth(HttpBearer):
    """Accept a live API token that holds scope; a live token without it is refused with 403."""

    def __init__(self, scope: str):
        self.scope = scope
        super().__init__()

    def authenticate(self, request, token: str) -> ApiToken | None:
        api_token = token_authenticate(token)
        if api_token is not None and not api_token.has_scope(self.scope):
            raise MissingScope(self.scope)
        return api_token


READ = TokenAuth(Scope.READ)
WRITE = TokenAuth(Scope.WRITE)
CHECK = TokenAuth(Scope.CHECK)


def audited_as_token(operation):
    """Run operation with every audit event it records naming the request's token."""

    @wraps(operation)
    def run(request, *args, **kwargs):
        with events.through_token(request.auth):
            return operation(request, *args, **kwargs)

    return run
