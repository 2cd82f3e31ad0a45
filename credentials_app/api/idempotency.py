"""Idempotency-Key on POST: a retried request is answered with the first answer and changes nothing more.

Keys are per token. The same key with another method, path or body is refused (422); while the
first request runs, a second one waits for nothing and is told so (409). Answers that a retry
should redo are not kept: server errors, 409 (could not check, in use, in progress) and 429. A kept
answer can hold a secret shown once (a new API token, an invitation link), so it is stored encrypted.
"""
import json
from datetime import timedelta

from django.core.exceptions import PermissionDenied, RequestDataTooBig, ValidationError
from django.db import IntegrityError, transaction
from django.http import Http404, HttpResponse
from django.utils import timezone
from django.utils.crypto import salted_hmac

from credentials_app.api.problems import too_large
from credentials_app.problems import problem_response as problem
from credentials_app.access import get_connection_for, get_credential_for, get_team_for, get_token_for
from credentials_app.models import IdempotencyRecord
from credentials_app.services.kept_answers import kept_answer_open, kept_answer_seal
from credentials_app.services.tokens import token_authenticate

HEADER = "Idempotency-Key"
KEPT_FOR = timedelta(hours=24)
MAX_KEY_LENGTH = 255
API_PREFIX = "/api/v1/"


def _fingerprint(request) -> str:
    material = request.method.encode() + b"\n" + request.get_full_path().encode() + b"\n" + request.body
    return salted_hmac("credentials.idempotency", material, algorithm="sha256").hexdigest()


def _kept(response) -> bool:
    return response.status_code < 500 and response.status_code not in (401, 409, 429)


def _manageable_token(token, pk, action) -> None:
    if token.is_team_token:
        raise PermissionDenied("Team tokens cannot manage tokens.")
    get_token_for(token.user, pk)


# How to tell whether a token may still act on an object, by the path's first segment after API_PREFIX
# and the action after the object's id: the same checks the operations make.
_GUARDS = {
    "credentials": lambda token, pk, action: get_credential_for(token, pk, manage=action != "check"),
    "teams": lambda token, pk, action: get_team_for(token, pk, admin=True),
    "connections": lambda token, pk, action: get_connection_for(None if token.is_team_token else token.user, pk),
    "tokens": _manageable_token,
}


def _may_still_act(token, request, content: bytes) -> bool:
    """Return whether token may still act on what the kept answer is about.

    That is the object named in the path, or for a create the one the answer names by its id.
    """
    kind, _, rest = request.path_info.removeprefix(API_PREFIX).partition("/")
    object_id, _, action = rest.partition("/")
    guard = _GUARDS.get(kind)
    if not object_id:
        try:
            object_id = json.loads(content).get("id", "")
        except (ValueError, AttributeError):
            object_id = ""
    if guard is None or not object_id:
        return True
    try:
        guard(token, object_id, action.strip("/"))
    except (Http404, PermissionDenied, ValidationError):
        return False
    return True


def _replay(record: IdempotencyRecord, content: bytes) -> HttpResponse:
    response = HttpResponse(content, status=record.status, content_type=record.content_type or None)
    response["Idempotent-Replayed"] = "true"
    return response


class IdempotencyMiddleware:
    """Apply Idempotency-Key to the API's POST requests made with a live token."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        key = request.headers.get(HEADER)
        if request.method != "POST" or key is None or not request.path.startswith(API_PREFIX):
            return self.get_response(request)
        scheme, _, raw_token = request.headers.get("Authorization", "").partition(" ")
        token = token_authenticate(raw_token.strip()) if scheme.lower() == "bearer" else None
        if token is None:
            return self.get_response(request)
        if not 0 < len(key) <= MAX_KEY_LENGTH:
            return problem("invalid-request", f"An Idempotency-Key has 1 to {MAX_KEY_LENGTH} characters.")
        try:
            fingerprint = _fingerprint(request)
        except RequestDataTooBig:
            return too_large()
        IdempotencyRecord.objects.filter(token=token, key=key, created_at__lt=timezone.now() - KEPT_FOR).delete()
        try:
            with transaction.atomic():
                record = IdempotencyRecord.objects.create(token=token, key=key, fingerprint=fingerprint)
        except IntegrityError:
            earlier = IdempotencyRecord.objects.get(token=token, key=key)
            if earlier.fingerprint != fingerprint:
                return problem(
                    "idempotency-key-reused", "Send a new Idempotency-Key for a different request."
                )
            if earlier.status is None:
                return problem("idempotency-key-in-progress", "Retry once the first request has been answered.")
            content = kept_answer_open(record_id=earlier.pk, sealed=earlier.body)
            if content is None:
                # The key that sealed it was removed since: the first answer cannot be given again.
                return problem("idempotency-key-reused", "The first answer to this key can no longer be read; send a new one.")
            if earlier.status < 300 and not _may_still_act(token, request, content):
                # The caller lost the object since: the kept answer would show what it may no longer see.
                return problem("not-found", "No such object is reachable with this token any more.")
            return _replay(earlier, content)
        try:
            response = self.get_response(request)
        except BaseException:
            record.delete()
            raise
        if _kept(response) and not response.streaming:
            record.status = response.status_code
            record.content_type = response.get("Content-Type", "")
            record.body = kept_answer_seal(record_id=record.pk, content=response.content)
            record.save(update_fields=["status", "content_type", "body"])
        else:
            record.delete()
        return response
