"""System checks: the encryption keyring must load, and every stored secret's key must be in it."""
from django.core import checks
from django.db import DatabaseError
from django.db.models import Count

from credentials_app import crypto
from credentials_app.models import Credential


@checks.register(checks.Tags.security)
def check_keyring(app_configs=None, **kwargs):
    try:
        crypto.get_keyring()
    except crypto.KeyringError as error:
        return [checks.Error(str(error), id="credentials.E001")]
    return []


@checks.register(checks.Tags.database)
def check_secrets_decryptable(app_configs=None, databases=None, **kwargs):
    if not databases:
        return []
    try:
        keyring = crypto.get_keyring()
        missing = set(Credential.objects.exclude(key_id__in=list(keyring.keys)).values_list("key_id", flat=True))
    except (crypto.KeyringError, DatabaseError):
        return []
    # A warning, not an error: the app keeps serving, and each such credential shows
    # "Can't decrypt: key <id> missing" and can still be deleted or given a new key.
    counts = Credential.objects.filter(key_id__in=missing).values("key_id").annotate(n=Count("pk"))
    return [
        checks.Warning(
            f"{row['n']} stored credential(s) were encrypted with key {row['key_id']}, which is not in "
            "CREDENTIALS_ENCRYPTION_KEYS; they cannot be decrypted.",
            hint="Add that key back to CREDENTIALS_ENCRYPTION_KEYS (after the current first key), or "
            "replace or delete those credentials.",
            id="credentials.W002",
        )
        for row in counts.order_by("key_id")
    ]
