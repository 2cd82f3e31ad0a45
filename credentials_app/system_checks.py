"""System checks: the keyring must load, every stored secret's key must be in it, var/ stays private, SQLite can count."""
import sqlite3
from pathlib import Path

from django.conf import settings
from django.core import checks
from django.db import DatabaseError
from django.db.models import Count

from credentials_app import crypto
from credentials_app.key_file import ensure_key_file
from credentials_app.models import Credential, NotificationChannel
from credentials_app.models.sealed import stored_values
from credentials_app.signin.sealed_factors import stored_factor_secrets


@checks.register(checks.Tags.security)
def check_keyring(app_configs=None, **kwargs):
    try:
        ensure_key_file()
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
        # Besides credentials: how many of each thing every key id seals, and what to say when it is missing.
        elsewhere = [
            (crypto.key_counts(stored_factor_secrets()), "second factor(s)",
             "the people who hold them cannot sign in with them",
             "reset their second factors (Admin > Users > Reset second factors)", "credentials.W004"),
            (crypto.key_counts(stored_values(NotificationChannel)), "notification channel(s)",
             "nothing can be sent through them", "remove those channels and add them again", "credentials.W005"),
        ]
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
    ] + [
        checks.Warning(
            f"{n} {things} were sealed with key {key_id}, which is not in CREDENTIALS_ENCRYPTION_KEYS; {consequence}.",
            hint=f"Add that key back to CREDENTIALS_ENCRYPTION_KEYS (after the current first key), or {way_out}.",
            id=check_id,
        )
        for counts_by_key, things, consequence, way_out, check_id in elsewhere
        for key_id, n in sorted(counts_by_key.items())
        if key_id not in keyring
    ]


def private_var_paths() -> list[Path]:
    """Return the paths under var/ that hold secrets or data: the folder, database, WAL, keys, secret key.

    A database outside var/ is left to whoever put it there.
    """
    paths = [settings.VAR_DIR, settings.VAR_DIR / "secret.key"]
    database = settings.DATABASES["default"]
    if database["ENGINE"] == "django.db.backends.sqlite3" and Path(database["NAME"]).parent == settings.VAR_DIR:
        paths += [Path(f"{database['NAME']}{suffix}") for suffix in ("", "-wal", "-shm")]
    if not any(text.strip() for text in settings.CREDENTIALS_ENCRYPTION_KEYS):
        paths.append(settings.CREDENTIALS_ENCRYPTION_KEY_FILE)
    return paths


@checks.register(checks.Tags.security)
def check_var_permissions(app_configs=None, **kwargs):
    warnings = []
    for path in private_var_paths():
        try:
            mode = path.stat().st_mode & 0o777
        except FileNotFoundError:
            continue
        if mode & 0o077:
            private = "700" if path.is_dir() else "600"
            warnings.append(
                checks.Warning(
                    f"{path} is open to other accounts on this machine (mode {mode:o}).",
                    hint=f"chmod {private} {path}",
                    id="credentials.W003",
                )
            )
    return warnings


@checks.register()
def check_counting_windows_database(app_configs=None, **kwargs):
    """Error when check budgets and proxy limits would be counted in an SQLite too old for atomic upserts."""
    sqlite = settings.DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3"
    if settings.COUNTING_WINDOWS_IN_CACHE or not sqlite or sqlite3.sqlite_version_info >= (3, 35):
        return []
    return [checks.Error(
        f"Check budgets and proxy rate limits are counted in the database, which needs SQLite 3.35 or newer "
        f"(this Python has {sqlite3.sqlite_version}).",
        hint="Use a Python built with a newer SQLite, PostgreSQL (DATABASE_URL), or Redis (REDIS_URL).",
        id="credentials.E003",
    )]
