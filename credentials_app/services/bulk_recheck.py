"""Check many stored credentials again, concurrently, without hammering any one provider.

Threads only talk to providers; every database write happens in the calling thread, as each
check completes. That keeps SQLite happy and leaves no connection open in a worker thread.
"""
import itertools
import re
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor, as_completed
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from http.cookiejar import DefaultCookiePolicy

import requests

from django.db import transaction
from django.db.models import Q, QuerySet
from django.views.decorators.debug import sensitive_variables

from connectors.base import Outcome, ValidationResult
from connectors.transport.check import build_session
from credentials_app.provider_check import run_check
from credentials_app.crypto import SecretUnavailable
from credentials_app.models import Credential, Team
from credentials_app.services.credentials import credential_record_check, credential_resealed_secret

# A 429 is retried this many times, after the provider's Retry-After.
RETRIES = 1
# Retry-After when a 429 does not say: Custify documents 10 s as its usual wait.
DEFAULT_RETRY_AFTER = 10
# Results are stored in one transaction per this many, or at least this often (seconds).
WRITE_BATCH = 100
WRITE_INTERVAL = 1.0
_AGE = re.compile(r"^\s*(\d+)\s*([mhdw])\s*$")
_AGE_UNITS = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


def parse_age(text: str) -> timedelta:
    """Return the span "30m", "12h", "7d" or "2w" stands for; raise ValueError otherwise."""
    match = _AGE.match(text or "")
    if not match:
        raise ValueError(f"“{text}” is not an age: write a number and a unit, e.g. 30m, 12h, 7d or 2w.")
    return timedelta(**{_AGE_UNITS[match[2]]: int(match[1])})


def team_find(name_or_id: str) -> Team:
    """Return the team named name_or_id (any case) or with that id; raise ValueError if none."""
    text = (name_or_id or "").strip()
    team = Team.objects.filter(name__iexact=text).first()
    if team is None:
        try:
            team = Team.objects.filter(pk=uuid.UUID(text)).first()
        except ValueError:
            team = None
    if team is None:
        raise ValueError(f"No team is named or has the id “{text}”.")
    return team


def credentials_to_check(
    *,
    provider: str | None = None,
    team: Team | None = None,
    status: str | None = None,
    checked_before=None,
    include_disabled: bool = False,
) -> QuerySet:
    """Return the credentials to check again: all, or those matching every filter given.

    checked_before also matches credentials never checked.
    """
    credentials = Credential.objects.all()
    if not include_disabled:
        credentials = credentials.filter(disabled_at__isnull=True)
    if provider:
        credentials = credentials.filter(provider=provider)
    if team is not None:
        credentials = credentials.filter(shares__team=team)
    if status:
        credentials = credentials.filter(status=status)
    if checked_before is not None:
        credentials = credentials.filter(Q(last_checked_at__lt=checked_before) | Q(last_checked_at__isnull=True))
    return credentials.distinct().order_by("provider", "pk")


class ProviderGate:
    """Let at most per_provider checks run at once per provider; hold a provider back after a 429."""

    def __init__(self, per_provider: int):
        self._per_provider = per_provider
        self._slots: dict[str, threading.Semaphore] = {}
        self._resume_at: dict[str, float] = {}
        self._lock = threading.Lock()

    def pause(self, provider: str, seconds: float) -> None:
        """Hold every further check of provider back for seconds from now."""
        with self._lock:
            self._resume_at[provider] = max(self._resume_at.get(provider, 0.0), time.monotonic() + seconds)

    @contextmanager
    def slot(self, provider: str):
        """Wait for a free slot of provider and for any pause to end; hold the slot while inside."""
        with self._lock:
            semaphore = self._slots.setdefault(provider, threading.Semaphore(self._per_provider))
        while True:
            self._sleep_through_pause(provider)
            semaphore.acquire()
            # A 429 may have arrived while this check queued for the slot.
            if self._resume_at.get(provider, 0.0) <= time.monotonic():
                break
            semaphore.release()
        try:
            yield
        finally:
            semaphore.release()

    def _sleep_through_pause(self, provider: str) -> None:
        remaining = self._resume_at.get(provider, 0.0) - time.monotonic()
        if remaining > 0:
            time.sleep(remaining)


class BulkChecker:
    """Check credentials concurrently; store the outcomes as they come in, a group at a time."""

    def __init__(self, *, concurrency: int = 32, per_provider: int = 8, max_retry_wait: float = 60.0):
        self.concurrency = concurrency
        self.max_retry_wait = max_retry_wait
        self.gate = ProviderGate(per_provider)

    def run(
        self,
        credentials: Iterable[Credential],
        on_result: Callable[[Credential, ValidationResult], None] | None = None,
        record: Callable[[list[tuple[Credential, "Checked"]]], None] | None = None,
    ) -> Counter:
        """Check every credential, store its result and a CHECKED event; return outcome counts.

        record, if given, stores a group of (credential, Checked) instead, and empties the list.
        """
        record = record or _record_all
        counts: Counter = Counter()
        pending: list[tuple[Credential, Checked]] = []
        flushed_at = time.monotonic()
        with ThreadPoolExecutor(max_workers=self.concurrency, thread_name_prefix="check") as pool:
            futures = {pool.submit(self.check, credential): credential for credential in _interleaved(credentials)}
            for future in as_completed(futures):
                credential, checked = futures[future], future.result()
                result = checked.result
                pending.append((credential, checked))
                counts[result.outcome] += 1
                if on_result is not None:
                    on_result(credential, result)
                # One commit per result would cost an fsync each: store results in small groups.
                if len(pending) >= WRITE_BATCH or time.monotonic() - flushed_at >= WRITE_INTERVAL:
                    record(pending)
                    flushed_at = time.monotonic()
        record(pending)
        return counts

    @sensitive_variables()
    def check(self, credential: Credential) -> "Checked":
        """Return what the provider says of credential's key, retrying once after a short 429."""
        try:
            key = credential.decrypt_key()
            connector = credential.connector
        except SecretUnavailable as error:
            return Checked(ValidationResult(Outcome.COULD_NOT_CHECK, str(error)), undecryptable=True)
        except KeyError:
            return Checked(ValidationResult(
                Outcome.COULD_NOT_CHECK, f"This app no longer knows the provider “{credential.provider}”."
            ))
        for attempt in range(RETRIES + 1):
            with self.gate.slot(credential.provider):
                result = run_check(connector, key, credential.options, session=_thread_session())
            wait = result.retry_after if result.retry_after is not None else DEFAULT_RETRY_AFTER
            if result.status_code != 429 or attempt == RETRIES or wait > self.max_retry_wait:
                break
            self.gate.pause(credential.provider, wait)
        return Checked(result, resealed_secret=credential_resealed_secret(credential, key),
                       key_expires_at=connector.key_expiry(key))


@dataclass(frozen=True)
class Checked:
    """One worker's check: the result, the secret re-sealed under the primary master key if it was
    under an old one, whether the secret failed to decrypt, and when the key says it expires."""

    result: ValidationResult
    resealed_secret: str | None = None
    undecryptable: bool = False
    key_expires_at: datetime | None = None


def _record_all(pending: list[tuple[Credential, Checked]]) -> None:
    """Store each result with a system CHECKED event, in one transaction; empty pending."""
    with transaction.atomic():
        for credential, checked in pending:
            # credential.secret is still the value loaded before the check: the one that was checked.
            credential_record_check(
                credential=credential, result=checked.result, actor=None, checked_secret=credential.secret,
                resealed_secret=checked.resealed_secret, undecryptable=checked.undecryptable,
            )
    pending.clear()


def _interleaved(credentials: Iterable[Credential]) -> list[Credential]:
    """Return credentials taking one provider after another, so no provider's queue blocks the pool."""
    by_provider: dict[str, list[Credential]] = {}
    for credential in credentials:
        by_provider.setdefault(credential.provider, []).append(credential)
    rounds = itertools.zip_longest(*by_provider.values())
    return [credential for round_ in rounds for credential in round_ if credential is not None]


_local = threading.local()


def _thread_session() -> requests.Session:
    """Return this worker thread's session, so checks reuse open connections to a provider.

    It keeps no cookies: a cookie a provider set while one credential was checked must never
    travel with another credential's key.
    """
    if not hasattr(_local, "session"):
        _local.session = build_session()
        _local.session.cookies.set_policy(DefaultCookiePolicy(allowed_domains=[]))
    return _local.session
