"""The client's address, as the sign-in lockout counts it."""
from django.conf import settings


def client_address(request) -> str:
    """Return the client's IP: REMOTE_ADDR, or the one TRUSTED_PROXY_COUNT proxies put in X-Forwarded-For."""
    proxies = settings.TRUSTED_PROXY_COUNT
    if proxies:
        forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
        # Each trusted proxy appends the address it received from; anything further left is the client's to forge.
        if len(forwarded) >= proxies:
            return forwarded[-proxies]
    return request.META.get("REMOTE_ADDR", "")
