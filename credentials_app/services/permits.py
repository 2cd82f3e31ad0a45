"""Permits to save a key unchecked: issued only with a "could not check" answer, for that key alone."""
import json
from dataclasses import dataclass
from datetime import datetime

from django.core import signing
from django.utils.crypto import salted_hmac
from django.views.decorators.debug import sensitive_variables

_SALT = "credentials.save-unverified"
MAX_AGE_SECONDS = 3600
# The failed check's message travels in the permit: longer ones are cut, so every permit fits its form field.
MESSAGE_MAX_CHARS = 1000
# The worst case: JSON escapes each character to at most 12 ASCII characters (an emoji is two \uXXXX),
# the rest of the payload is under 300, base64 adds a third, the timestamp and signature under 100.
PERMIT_MAX_LENGTH = (MESSAGE_MAX_CHARS * 12 + 300) * 4 // 3 + 100


@sensitive_variables()
def _payload(*, owner, provider: str, creation_token, key: str, options: dict) -> list:
    # A keyed digest binds the permit to the key and settings that could not be checked, without
    # putting the key itself, or anything that reveals it, into the permit.
    material = json.dumps([key, options], sort_keys=True)
    digest = salted_hmac(_SALT, material, algorithm="sha256").hexdigest()
    return [owner.pk, provider, str(creation_token), digest]


@dataclass(frozen=True)
class FailedCheck:
    """Why and when the check that issued a permit could not be done."""

    message: str
    attempted_at: datetime


@sensitive_variables()
def permit_issue(*, owner, provider: str, creation_token, key: str, options: dict, failed: FailedCheck) -> str:
    """Return a signed permit to save this normalised key, with these settings, unchecked.

    It carries the failed check's message (up to MESSAGE_MAX_CHARS) and time, so the saved credential can
    say why it is unchecked; it is at most PERMIT_MAX_LENGTH characters long.
    """
    message = failed.message
    if len(message) > MESSAGE_MAX_CHARS:
        message = message[: MESSAGE_MAX_CHARS - 1] + "…"
    return signing.dumps(
        {
            "for": _payload(owner=owner, provider=provider, creation_token=creation_token, key=key, options=options),
            "why": message,
            "at": failed.attempted_at.isoformat(),
        },
        salt=_SALT,
        compress=True,
    )


@sensitive_variables()
def permit_check(permit: str, *, owner, provider: str, creation_token, key: str, options: dict) -> FailedCheck | None:
    """Return the failed check permit records, or None unless it is valid for these arguments.

    Valid means issued within the hour for exactly this owner, form, key and settings.
    """
    if not permit:
        return None
    try:
        payload = signing.loads(permit, salt=_SALT, max_age=MAX_AGE_SECONDS)
    except signing.BadSignature:
        return None
    expected = _payload(owner=owner, provider=provider, creation_token=creation_token, key=key, options=options)
    if not isinstance(payload, dict) or payload.get("for") != expected:
        return None
    return FailedCheck(message=payload["why"], attempted_at=datetime.fromisoformat(payload["at"]))
