"""Idempotency-Key on POST: a retried request is answered with the first answer and changes nothing more.

Keys are per token. The same key with another method, path or body is refused (422); while the
first request runs, a second one waits for nothing and is told so (409). Answers that a retry
should redo are not kept: server errors, 409 (could not check, in use, in progress) and 429.
"""
from datetime import timedelta

from django.core.exceptions import RequestDataTooBig
from django.db import IntegrityError, transaction
from django.http import HttpResponse
from django.utils import timezone
from django.utils.crypto import salted_hmac

from credentials_app.api.problems import too_large
from credentials_app.problems import problem_response as problem
from credentials_app.models import IdempotencyRecord
from credentials_app.services.tokens import token_authenticate

HEADER = "Idempotency-Key"
KEPT_FOR = timedelta(hours=24)
MAX_KEY_LENGTH = 255
API_PREFIX = "/api/"


def _fingerprint(request) -> str:
    material = request.method.encode() + b"\n" + request.get_full_path().encode() + b"\n" + request.body
    return salted_hmac("credentials.idempotency", material, algorithm="sha256").hexdigest()


def _kept(response) -> bool:
    return response.status_code < 500 and response.status_code not in (401, 409, 429)


def _replay(record: IdempotencyRecord) -> HttpResponse:
    response = HttpResponse(bytes(record.body), status=record.status, content_type=record.content_type or None)
    response["Idempotent-Replayed"] = "true"
    return response


class IdempotencyMiddleware:
    """Apply Idempotency-Key to the API's POST requests made with a live token."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        key = request.headers.get(HEADER, "")
        if request.method != "POST" or not key or not request.path.startswith(API_PREFIX):
            return self.get_response(request)
        scheme, _, raw_token = request.headers.get("Authorization", "").partition(" ")
        token = token_authenticate(raw_token.strip()) if scheme.lower() == "bearer" else None
        if token is None:
            return self.get_response(request)
        if len(key) > MAX_KEY_LENGTH:
            return problem("invalid-request", f"An Idempotency-Key has at most {MAX_KEY_LENGTH} characters.")
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
            return _replay(earlier)
        try:
            response = self.get_response(request)
        except BaseException:
            record.delete()
            raise
        if _kept(response) and not response.streaming:
            record.status = response.status_code
            record.content_type = response.get("Content-Type", "")
            record.body = response.content
            record.save(update_fields=["status", "content_type", "body"])
        else:
            record.delete()
        return response
