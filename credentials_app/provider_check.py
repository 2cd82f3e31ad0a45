"""Check keys against providers with this install's network settings."""
from django.conf import settings
from django.views.decorators.debug import sensitive_variables

from connectors.base import Connector, ValidationResult
from connectors.transport.check import HttpConfig, check_key


def sandbox_active() -> bool:
    """Return True when checks go to the local provider sandbox instead of the real providers.

    Honoured only with DEBUG on or PROVIDER_SANDBOX_ALLOWED, so a stray variable in production
    cannot divert keys.
    """
    return bool(settings.PROVIDER_SANDBOX_URL) and (settings.DEBUG or settings.PROVIDER_SANDBOX_ALLOWED)


def http_config() -> HttpConfig:
    """Return the HttpConfig built from settings, read at call time."""
    active = sandbox_active()
    return HttpConfig(
        connect_timeout=settings.CONNECTOR_CONNECT_TIMEOUT,
        read_timeout=settings.CONNECTOR_READ_TIMEOUT,
        max_body_bytes=settings.CONNECTOR_MAX_BODY_BYTES,
        sandbox_url=settings.PROVIDER_SANDBOX_URL if active else "",
        sandbox_ca_bundle=settings.PROVIDER_SANDBOX_CA_BUNDLE if active else None,
    )


def check_deadline_seconds() -> int:
    """Return the longest a key check can take, in whole seconds: the connect plus the read timeout."""
    return round(settings.CONNECTOR_CONNECT_TIMEOUT + settings.CONNECTOR_READ_TIMEOUT)


# Hide every local of this call and the connector and transport frames below it: headers
# there carry the key, and Django's error pages show nested frames.
@sensitive_variables()
def run_check(connector: Connector, key: str, options: dict, *, session=None) -> ValidationResult:
    """Return what the provider says of an already-normalised key; session reuses connections."""
    return check_key(connector, key, options, http_config(), session)
