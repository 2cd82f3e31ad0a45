"""Every API refusal as an RFC 9457 problem, from the app's one vocabulary (credentials_app/problems.py)."""
import logging

from django.conf import settings
from django.core.exceptions import PermissionDenied, RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpResponse
from ninja import Schema
from ninja.errors import AuthenticationError, HttpError, ValidationError

from connectors.base import Outcome
from credentials_app.crypto import KeyringError
from credentials_app.problems import KEYRING_UNAVAILABLE_DETAIL
from credentials_app.problems import problem_response as problem
from credentials_app.services.credentials import CheckFailed, CredentialInUse
from credentials_app.throttles import CheckThrottled

logger = logging.getLogger(__name__)

class Problem(Schema):
    """RFC 9457 problem details; some types add members (errors, permit, connections)."""

    type: str
    title: str
    status: int
    detail: str = ""

    model_config = {"extra": "allow", "json_schema_extra": {"additionalProperties": True}}


def problem_responses(*statuses: int) -> dict:
    """Return the OpenAPI responses entries documenting the problems an operation may answer."""
    return {status: Problem for status in (401, 403, 422, *statuses)}


class MissingScope(Exception):
    def __init__(self, scope: str):
        self.scope = scope
        super().__init__(f"This needs a token with the {scope} scope.")


def _check_failed(failure: CheckFailed) -> HttpResponse:
    result = failure.result
    extra = {"outcome": str(result.outcome), "provider_message": result.message}
    if result.outcome == Outcome.REJECTED:
        return problem("key-rejected", result.message, **extra)
    if result.outcome == Outcome.RESTRICTED:
        return problem(
            "key-restricted",
            f"{result.message} Send the same request with accept_restricted true to save it anyway.",
            **extra,
        )
    headers = {"Retry-After": str(result.retry_after)} if result.retry_after else None
    detail = result.message
    if failure.permit:
        detail += " Send the same request with unverified_permit set to this permit to save it unchecked."
    return problem(
        "could-not-check", detail, headers=headers, permit=failure.permit, retry_after=result.retry_after, **extra
    )


def _invalid_input(error: DjangoValidationError) -> HttpResponse:
    errors = error.message_dict if hasattr(error, "error_dict") else {"__all__": error.messages}
    return problem("invalid-input", " ".join(error.messages), errors=errors)


def _invalid_request(error: ValidationError) -> HttpResponse:
    # Pydantic echoes the offending input; a key sent in the wrong shape must not come back.
    errors = [{"loc": list(item.get("loc", ())), "msg": item.get("msg", ""), "type": item.get("type", "")}
              for item in error.errors]
    return problem("invalid-request", "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in errors),
                   errors=errors)


def _http_error(error: HttpError) -> HttpResponse:
    # ninja raises HttpError(400) for a body it cannot parse; it raises no other status here.
    if error.status_code == 400:
        return problem("malformed-body", f"{error}: send a JSON object with Content-Type: application/json.")
    return _server_error(error)


def too_large(error: Exception | None = None) -> HttpResponse:
    """Return the problem for a request body over DATA_UPLOAD_MAX_MEMORY_SIZE."""
    return problem("request-too-large", f"A request body may have at most {settings.DATA_UPLOAD_MAX_MEMORY_SIZE} bytes.")


def _server_error(error: Exception) -> HttpResponse:
    # Tracebacks carry no locals and no message holds a key, so the log stays free of secrets.
    logger.exception("API request failed")
    return problem("server-error")


def install_handlers(api) -> None:
    """Answer every exception the API knows with its problem; anything else is a bare 500 problem."""
    handlers = {
        AuthenticationError: lambda error: problem(
            "unauthenticated", "Send Authorization: Bearer <token> with a live token.",
            headers={"WWW-Authenticate": 'Bearer realm="api"'},
        ),
        MissingScope: lambda error: problem("missing-scope", str(error), scope=error.scope),
        PermissionDenied: lambda error: problem("forbidden", str(error)),
        Http404: lambda error: problem("not-found", str(error) or "No such object."),
        ValidationError: _invalid_request,
        DjangoValidationError: _invalid_input,
        CheckFailed: _check_failed,
        CredentialInUse: lambda error: problem(
            "credential-in-use", str(error),
            connections=[{"id": str(c.pk), "name": c.name, "kind": c.kind} for c in error.connections],
        ),
        CheckThrottled: lambda error: problem(
            "check-budget-spent", error.message, headers={"Retry-After": str(error.retry_after)},
            retry_after=error.retry_after,
        ),
        HttpError: _http_error,
        RequestDataTooBig: too_large,
        KeyringError: lambda error: problem("keyring-unavailable", KEYRING_UNAVAILABLE_DETAIL),
        Exception: _server_error,
    }
    for exception_class, handler in handlers.items():
        api.add_exception_handler(exception_class, lambda request, error, handler=handler: handler(error))
