"""Re-encrypt every stored secret under the primary key, online and resumable: credential keys, then
second factors' secrets (signin/sealed_factors.py) and the sealed columns of other rows (models/sealed.py).

The work goes in batches by primary key, each batch in its own transaction. A row is written
only if its secret is still the one that was read (compare-and-swap), so a key replaced by the
app while a batch is in flight is never overwritten. A crash loses at most the batch in
flight, whose rows still hold their old, decryptable secret: running again picks them up.
"""
import time
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial

from django.db import connection, transaction
from django.db.models import Count

from credentials_app import crypto, events
from credentials_app.models import Credential, NotificationChannel
from credentials_app.models.sealed import rows_reseal, stored_values
from credentials_app.signin.sealed_factors import factors_reseal, stored_factor_secrets


@dataclass
class RotationReport:
    """What one run did: rows re-encrypted, rows left alone, and why."""

    to_key_id: str
    rotated: int = 0
    # Rows whose secret changed between read and write: the app replaced the key meanwhile.
    changed_meanwhile: int = 0
    from_key_ids: Counter = field(default_factory=Counter)
    # Rows that cannot be decrypted, by reason ("Can't decrypt: key <id> missing"): left as they are.
    unreadable: Counter = field(default_factory=Counter)


@dataclass(frozen=True)
class KeyUsage:
    """How many stored secrets one key id protects, and where the key stands in the keyring."""

    key_id: str
    count: int
    is_primary: bool
    is_configured: bool

    @property
    def safe_to_remove(self) -> bool:
        return self.is_configured and not self.is_primary and self.count == 0


# Models with sealed columns (models/sealed.py) besides credentials: their rows are re-sealed one by one.
SEALED_MODELS = (NotificationChannel,)


def _stored_elsewhere() -> list[list[list[str]]]:
    """Return the secrets stored besides credentials' keys, per source: each row's values as stored."""
    return [stored_factor_secrets(), *(stored_values(model) for model in SEALED_MODELS)]


def secrets_key_usage() -> list[KeyUsage]:
    """Return, for every configured or stored key id, how many secrets it protects; primary first."""
    keyring = crypto.get_keyring()
    by_key = Credential.objects.order_by().values("key_id").annotate(n=Count("pk")).values_list("key_id", "n")
    counts = Counter(dict(by_key))
    for rows in _stored_elsewhere():
        counts.update(crypto.key_counts(rows))
    key_ids = list(keyring.keys) + sorted(set(counts) - set(keyring.keys))
    return [
        KeyUsage(
            key_id=key_id,
            count=counts.get(key_id, 0),
            is_primary=key_id == keyring.primary_id,
            is_configured=key_id in keyring,
        )
        for key_id in key_ids
    ]


def _columns() -> tuple[str, str, str, str]:
    """Return the quoted credential table and its id, secret and key_id columns."""
    quote = connection.ops.quote_name
    meta = Credential._meta
    return quote(meta.db_table), *(quote(meta.get_field(name).column) for name in ("id", "secret", "key_id"))


def fetch_batch(*, primary_id: str, after=None, size: int) -> list[tuple]:
    """Return up to size (position, pk, secret) rows not under primary_id, after position after.

    pk comes as the database stores it. On SQLite the position is the rowid: in rowid order a
    batch touches a few dozen pages, where random UUID order touched a page per row and made
    each commit write megabytes. Elsewhere the position is the primary key.
    """
    table, pk, secret, key_id = _columns()
    position = "rowid" if connection.vendor == "sqlite" else pk
    after_clause = f"AND {position} > %s" if after is not None else ""
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {position}, {pk}, {secret} FROM {table} WHERE {key_id} <> %s {after_clause} "
            f"ORDER BY {position} LIMIT %s",
            [primary_id, *([after] if after is not None else []), size],
        )
        return cursor.fetchall()


def _uuid_text(value) -> str:
    """Return a stored UUID in its canonical dashed form (SQLite stores 32 hex digits)."""
    if isinstance(value, uuid.UUID):
        return str(value)
    return f"{value[:8]}-{value[8:12]}-{value[12:16]}-{value[16:20]}-{value[20:]}"


def reseal_batch(rows: list[tuple], report: RotationReport) -> list[tuple]:
    """Return (pk, old secret, new secret) for each readable row; count the unreadable ones."""
    updates = []
    for _, pk, secret in rows:
        associated_data = f"credential:{_uuid_text(pk)}"  # Credential.associated_data, without a model per row
        try:
            new_secret = crypto.encrypt(crypto.decrypt(secret, associated_data=associated_data),
                                        associated_data=associated_data)
        except crypto.SecretUnavailable as error:
            report.unreadable[str(error)] += 1
            continue
        report.from_key_ids[crypto.key_id_of(secret)] += 1
        updates.append((pk, secret, new_secret))
    return updates


def write_batch(updates: list[tuple], primary_id: str) -> int:
    """Write each new secret only where the old one is still stored; return how many rows changed."""
    if not updates:
        return 0
    table, pk, secret, key_id = _columns()
    with transaction.atomic(), connection.cursor() as cursor:
        # One statement run for every row: the ORM's per-row UPDATE is ten times slower here.
        cursor.executemany(
            f"UPDATE {table} SET {secret} = %s, {key_id} = %s WHERE {pk} = %s AND {secret} = %s",
            [(new, primary_id, row_pk, old) for row_pk, old, new in updates],
        )
        # sqlite3 and psycopg both report the total of rows changed over all the runs.
        return cursor.rowcount


def secrets_rotate(
    *,
    batch_size: int = 1000,
    pause_seconds: float = 0.0,
    on_batch: Callable[[RotationReport, int], None] | None = None,
) -> RotationReport:
    """Re-encrypt every secret not under the primary key; record one MASTER_KEY_ROTATED event.

    on_batch(report, rows_seen) is called after each committed batch. pause_seconds between
    batches leaves room for the app on a busy database.
    """
    keyring = crypto.get_keyring()
    report = RotationReport(to_key_id=keyring.primary_id)
    after = None
    while rows := fetch_batch(primary_id=keyring.primary_id, after=after, size=batch_size):
        after = rows[-1][0]
        updates = reseal_batch(rows, report)
        written = write_batch(updates, keyring.primary_id)
        report.rotated += written
        report.changed_meanwhile += len(updates) - written
        if on_batch is not None:
            on_batch(report, len(rows))
        if pause_seconds:
            time.sleep(pause_seconds)
    for reseal in [factors_reseal, *(partial(rows_reseal, model) for model in SEALED_MODELS)]:
        changed, from_key_ids = reseal(unreadable=report.unreadable)
        report.rotated += changed
        report.from_key_ids.update(from_key_ids)
        if changed and on_batch is not None:
            on_batch(report, changed)
    if report.rotated:
        events.master_key_rotated(from_key_ids=report.from_key_ids, to_key_id=report.to_key_id, count=report.rotated)
    return report


def secrets_to_rotate() -> int:
    """Return how many stored secrets (credential keys, second factors, sealed rows) are not under the primary key."""
    stale_elsewhere = sum(crypto.stale_rows(rows) for rows in _stored_elsewhere())
    return Credential.objects.exclude(key_id=crypto.get_keyring().primary_id).count() + stale_elsewhere
