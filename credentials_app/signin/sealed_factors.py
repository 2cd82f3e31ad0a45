"""The secrets of second factors, sealed at rest: an authenticator app's TOTP secret, the recovery codes' seed.

allauth keeps them in Authenticator.data and passes each through its MFA adapter's encrypt and
decrypt (signin/adapter.py), which seal them here under the keyring, as credential keys are. The
adapter is not told whose factor it seals, so each is bound to this use, not to its row: a sealed
factor secret never opens as a credential key, nor a key as a factor secret. rotate_encryption_key
re-seals them under the primary key (rotation.py).
"""
import logging
from collections import Counter
from collections.abc import Callable

from allauth.mfa.models import Authenticator
from django.db import connection, transaction
from django.views.decorators.debug import sensitive_variables

from credentials_app import crypto

logger = logging.getLogger(__name__)
ASSOCIATED_DATA = "second-factor-secret"
# The types whose data holds sealed values, and where: a string under "secret" (TOTP) or "seed"
# (recovery codes), or a list under "migrated_codes" (recovery codes imported by allauth's migration tools).
SEALED_TYPES = (Authenticator.Type.TOTP, Authenticator.Type.RECOVERY_CODES)
SEALED_STRINGS = ("secret", "seed")
SEALED_LISTS = ("migrated_codes",)


class FactorSecretUnavailable(crypto.KeyringError):
    """A second factor's secret does not open with this install's keys: an operator must restore its key."""


@sensitive_variables()
def factor_seal(text: str) -> str:
    """Return text sealed under the primary key, for a second factor's data."""
    return crypto.encrypt(text, associated_data=ASSOCIATED_DATA)


@sensitive_variables()
def factor_open(stored: str) -> str:
    """Return the secret factor_seal sealed; raise FactorSecretUnavailable, naming the key and the fix, if it cannot.

    The failure is logged too: the person meeting it is not signed in yet, so only the log tells the operator which key.
    """
    if not crypto.is_sealed(stored):
        failure = FactorSecretUnavailable(
            "A second factor cannot be used: its secret is stored unsealed (written by an older release, say). "
            "Run `manage.py rotate_encryption_key` to seal it."
        )
    else:
        try:
            return crypto.decrypt(stored, associated_data=ASSOCIATED_DATA)
        except crypto.SecretUnavailable as error:
            failure = FactorSecretUnavailable(
                f"A second factor cannot be used: its secret was sealed with key {error.key_id}, which this install "
                "cannot use. Restore that key to CREDENTIALS_ENCRYPTION_KEYS, or reset the person's second factors "
                "(Admin > Users > Reset second factors)."
            )
    logger.error("%s", failure)
    raise failure


@sensitive_variables()
def data_with(data: dict, change: Callable[[str], str]) -> dict:
    """Return a copy of an Authenticator's data with change applied to every secret it holds."""
    changed = dict(data)
    for name in SEALED_STRINGS:
        if isinstance(changed.get(name), str):
            changed[name] = change(changed[name])
    for name in SEALED_LISTS:
        if isinstance(changed.get(name), list):
            changed[name] = [change(value) for value in changed[name]]
    return changed


def secrets_in(data: dict) -> list[str]:
    """Return every secret value an Authenticator's data holds, as stored."""
    found = [data[name] for name in SEALED_STRINGS if isinstance(data.get(name), str)]
    for name in SEALED_LISTS:
        found += [value for value in data.get(name) or [] if isinstance(value, str)]
    return found


def stored_factor_secrets() -> list[list[str]]:
    """Return, for each second factor, the secrets its data holds as stored (none before allauth's tables exist)."""
    if Authenticator._meta.db_table not in connection.introspection.table_names():
        return []  # an upgrade's checks run before its migrations
    factors = Authenticator.objects.filter(type__in=SEALED_TYPES).values_list("data", flat=True)
    return [secrets_in(data) for data in factors]


@sensitive_variables()
def factors_reseal(*, unreadable: Counter) -> tuple[int, Counter]:
    """Seal every second factor's secret under the primary key; return how many factors changed, by former key id.

    Plaintext secrets (stored before sealing, or by allauth's default adapter) are sealed too, counted
    under "plaintext". A secret that cannot be opened is left as it is and counted in unreadable, by reason.
    """
    changed, from_key_ids = 0, Counter()
    factors = Authenticator.objects.filter(type__in=SEALED_TYPES).values_list("pk", "data")
    pending = [pk for pk, data in factors if crypto.stale(secrets_in(data))]
    for pk in pending:
        # One factor per transaction, locked while it is re-sealed, so a recovery code used meanwhile (which
        # saves the row) is not undone. A person holds two factors at most: batches would buy nothing.
        with transaction.atomic():
            factor = Authenticator.objects.select_for_update().filter(pk=pk).first()
            stale = crypto.stale(secrets_in(factor.data)) if factor is not None else []
            if not stale:
                continue
            try:
                factor.data = data_with(factor.data, lambda value: factor_seal(_opened(value)))
            except FactorSecretUnavailable as error:
                unreadable[str(error)] += 1
                continue
            factor.save(update_fields=["data"])
            changed += 1
            from_key_ids.update({crypto.sealed_by(value) for value in stale})
    return changed, from_key_ids


@sensitive_variables()
def _opened(value: str) -> str:
    """Return value's secret: opened when sealed, as it is when plaintext."""
    return factor_open(value) if crypto.is_sealed(value) else value
