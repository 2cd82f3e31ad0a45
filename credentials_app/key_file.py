"""The start-up step that gives a fresh install its master key file, and never replaces a lost one.

Without CREDENTIALS_ENCRYPTION_KEYS the master key lives in a file under var/. The crypto module
only reads it; this step, above the models, creates it while the database holds no secret, and
otherwise explains what is missing. `manage.py check` (so `make run` and `migrate`) and the WSGI
entry point run it before anything is served.
"""
import logging

from django.conf import settings
from django.db import DatabaseError, connection

from credentials_app import crypto
from credentials_app.local_secrets import write_private_file
from credentials_app.models import Credential, NotificationChannel
from credentials_app.models.sealed import stored_values
from credentials_app.signin.sealed_factors import stored_factor_secrets

logger = logging.getLogger(__name__)


def ensure_key_file() -> None:
    """Create the key file on a fresh install; raise KeyringError if it is missing while secrets are stored."""
    if any(text.strip() for text in settings.CREDENTIALS_ENCRYPTION_KEYS):
        return
    path = settings.CREDENTIALS_ENCRYPTION_KEY_FILE
    if path.exists():
        return
    count = stored_secret_count()
    if count != 0:
        raise crypto.KeyringError(missing_key_file_message(path, count))
    try:
        write_private_file(path, crypto.generate_key() + "\n")
    except FileExistsError:
        return  # another process created it first
    except OSError as error:
        raise crypto.KeyringError(
            f"No encryption key is configured and {path} could not be created ({error.strerror}). "
            "Set CREDENTIALS_ENCRYPTION_KEYS to the output of `python manage.py generate_encryption_key`."
        ) from None
    crypto.get_keyring.cache_clear()
    logger.warning(
        "Created a new encryption key at %s (mode 0600). Back it up: without it, stored credentials "
        "cannot be decrypted. Set CREDENTIALS_ENCRYPTION_KEYS to manage keys yourself.",
        path,
    )


def missing_key_file_message(path, count: int | None = None) -> str:
    """Return what is wrong when the key file is missing, with the number of stranded secrets, and the fix."""
    if count is None:
        count = stored_secret_count()
    held = "could not be read to tell whether it holds secrets" if count is None else f"holds {count} secret(s)"
    return (
        f"The encryption key file {path} is missing, and the database {held}. A new key would leave them "
        f"undecryptable, so none was created. Restore {path} from your backup, or set "
        "CREDENTIALS_ENCRYPTION_KEYS to the key(s) that encrypted them."
    )


def stored_secret_count() -> int | None:
    """Return the number of stored secrets: credential keys, sealed second factors and notification channels
    (0 before the first migration), or None if the database cannot say."""
    try:
        if Credential._meta.db_table not in connection.introspection.table_names():
            return 0
        others = [stored_factor_secrets(), stored_values(NotificationChannel)]
        return Credential.objects.count() + sum(crypto.sealed_rows(rows) for rows in others)
    except DatabaseError:
        return None
