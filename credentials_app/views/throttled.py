"""Answers for a check refused because its budget is spent: 429 with Retry-After."""
from django.http import JsonResponse

from credentials_app.throttles import CheckThrottled


def throttled_json(refusal: CheckThrottled) -> JsonResponse:
    """Return the overlay's answer to a refused check: nothing was checked or saved."""
    response = JsonResponse(
        {"ok": False, "outcome": "throttled", "message": refusal.message, "retry_after": refusal.retry_after},
        status=429,
    )
    response["Retry-After"] = str(refusal.retry_after)
    return response


def with_retry_after(response, refusal: CheckThrottled):
    """Return response marked 429 with Retry-After, for a page that shows the refusal."""
    response.status_code = 429
    response["Retry-After"] = str(refusal.retry_after)
    return response
