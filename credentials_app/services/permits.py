"""Permits to save a key unchecked: issued only with a "could not check" answer, for that key alone."""
import json

from django.core import signing
from django.utils.crypto import salted_hmac
from django.views.decorators.debug import sensitive_variables

_SALT = "credentials.save-unverified"
MAX_AGE_SECONDS = 3600


@sensitive_variables()
def _payload(*, owner, provider: str, creation_token, key: str, options: dict) -> list:
    # A keyed digest binds the permit to the key and settings that could not be checked, without
    # putting the key itself, or anything that reveals it, into the permit.
    material = json.dumps([key, options], sort_keys=True)
    digest = salted_hmac(_SALT, material, algorithm="sha256").hexdigest()
    return [owner.pk, provider, str(creation_token), digest]


@sensitive_variables()
def permit_issue(*, owner, provider: str, creation_token, key: str, options: dict) -> str:
    """Return a signed permit to save this normalised key, with these settings, unchecked."""
    return signing.dumps(
        _payload(owner=owner, provider=provider, creation_token=creation_token, key=key, options=options), salt=_SALT
    )


@sensitive_variables()
def permit_valid(permit: str, *, owner, provider: str, creation_token, key: str, options: dict) -> bool:
    """Return True if permit was issued within the hour for exactly this owner, form, key and settings."""
    if not permit:
        return False
    try:
        payload = signing.loads(permit, salt=_SALT, max_age=MAX_AGE_SECONDS)
    except signing.BadSignature:
        return False
    return payload == _payload(owner=owner, provider=provider, creation_token=creation_token, key=key, options=options)
