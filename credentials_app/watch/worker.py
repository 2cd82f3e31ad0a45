"""The watch's worker: claim due runs (exactly once across servers), check, record, plan the next.

Any number of workers, on any number of servers, share one database: each claims due rows with
SELECT ... FOR UPDATE SKIP LOCKED and holds them under a lease it renews while it works. A worker
that dies stops renewing; once its lease has passed, another worker claims its runs and runs them.
Only the worker still holding a run records its outcome, so a check's result is stored once.
"""
import logging
import os
import socket
import threading
import time
import uuid
from datetime import timedelta

from django.conf import settings
from django.db import close_old_connections, transaction
from django.db.models import Case, F, Q, When
from django.utils import timezone

from connectors.base import Outcome
from credentials_app.services.bulk_recheck import BulkChecker, Checked
from credentials_app.models import Credential
from credentials_app.services.credentials import credential_record_check
from credentials_app import health as signals
from credentials_app.health import check_cause
from credentials_app.models import WatchRun
from credentials_app.watch.schedule import CANT_DECRYPT, UNREACHABLE_AFTER, next_run, watch_plan

logger = logging.getLogger(__name__)
Job = WatchRun.Job
# Finished runs are kept this long (what ran when, and by which worker), then deleted.
KEEP_FINISHED = timedelta(days=30)
# Seconds between two plannings (new credentials, expiry warnings); due runs are looked for more often.
PLAN_EVERY = 60.0


def outcome_of(checked: Checked) -> str:
    return CANT_DECRYPT if checked.undecryptable else str(checked.result.outcome)


class Watcher:
    """One worker of the watch; worker_id names it in the rows it claims."""

    def __init__(self, *, worker_id: str = ""):
        self.worker_id = worker_id or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"
        self._runs: dict = {}
        self._renewed_at = 0.0
        self._lock = threading.Lock()

    @property
    def lease(self) -> timedelta:
        return timedelta(seconds=settings.WATCH_LEASE_SECONDS)

    # --- One pass ---------------------------------------------------------------------------
    def run_due(self, *, plan: bool = True) -> int:
        """Plan (unless told not to), then claim and run the runs due now, one batch; return how many were claimed."""
        now = timezone.now()
        if plan:
            watch_plan(now=now)
        runs = self.claim(now=now)
        if runs:
            self.run(runs)
        return len(runs)

    def claim(self, *, now=None, limit: int | None = None) -> list[WatchRun]:
        """Claim up to limit due runs no live worker holds; return them."""
        now = now or timezone.now()
        with transaction.atomic():
            due = (
                WatchRun.objects.select_for_update(skip_locked=True)
                .filter(finished_at__isnull=True, due_at__lte=now)
                .filter(Q(lease_until__isnull=True) | Q(lease_until__lt=now))
                # Confirmations first: a key noticed dying in use should not wait behind the day's checks.
                .order_by(Case(When(job=Job.CONFIRM, then=0), default=1), "due_at")[: limit or settings.WATCH_BATCH]
            )
            runs = list(due)
            if runs:
                WatchRun.objects.filter(pk__in=[run.pk for run in runs]).update(
                    claimed_by=self.worker_id, lease_until=now + self.lease, attempts=F("attempts") + 1
                )
        for run in runs:
            run.claimed_by = self.worker_id
        self._renewed_at = time.monotonic()
        return runs

    def run(self, runs: list[WatchRun]) -> None:
        """Run claimed runs: warnings at once, checks together, paced per provider as check_credentials is."""
        credentials = Credential.objects.in_bulk([run.credential_id for run in runs])
        to_check: dict = {}
        for run in runs:
            credential = credentials.get(run.credential_id)
            if run.job == Job.EXPIRY:
                self._warn_expiry(run, credential)
            elif credential is None or credential.is_disabled:
                self._finish([run], "skipped")
            else:
                # A check and a confirmation due together are one check.
                to_check.setdefault(credential.pk, (credential, []))[1].append(run)
        if not to_check:
            return
        with self._lock:
            self._runs.update({pk: runs_of for pk, (_, runs_of) in to_check.items()})
        checker = BulkChecker(
            concurrency=settings.WATCH_CONCURRENCY, per_provider=settings.WATCH_PER_PROVIDER,
            # A rate limit is waited out only while it leaves the lease room to spare.
            max_retry_wait=min(60.0, settings.WATCH_LEASE_SECONDS / 4),
        )
        checker.run([credential for credential, _ in to_check.values()], on_result=self._renew, record=self._record)

    # --- Leases ---------------------------------------------------------------------------
    def _renew(self, *_ignored) -> None:
        """Extend the lease of every run this worker holds, at most every third of a lease."""
        if time.monotonic() - self._renewed_at < settings.WATCH_LEASE_SECONDS / 3:
            return
        WatchRun.objects.filter(claimed_by=self.worker_id, finished_at__isnull=True).update(
            lease_until=timezone.now() + self.lease
        )
        self._renewed_at = time.monotonic()

    def _finish(self, runs: list[WatchRun], outcome: str) -> bool:
        """Mark runs finished with outcome if this worker still holds them; return whether it did."""
        return bool(WatchRun.objects.filter(
            pk__in=[run.pk for run in runs], claimed_by=self.worker_id, finished_at__isnull=True
        ).update(finished_at=timezone.now(), outcome=outcome))

    # --- Recording --------------------------------------------------------------------------
    def _record(self, pending: list[tuple[Credential, Checked]]) -> None:
        """Store each outcome, finish its runs and plan the next check, in one transaction; empty pending."""
        now = timezone.now()
        with transaction.atomic():
            for credential, checked in pending:
                with self._lock:
                    runs = self._runs.pop(credential.pk, [])
                outcome = outcome_of(checked)
                if not runs or not self._finish(runs, outcome):
                    continue  # Its lease passed and another worker took it: that worker records it.
                check = next((run for run in runs if run.job == Job.CHECK), None)
                if checked.key_expires_at != credential.key_expires_at:
                    # The checked key's date, learnt (a key stored before dates were kept) or cleared (none):
                    # its warnings are planned from it.
                    Credential.objects.filter(pk=credential.pk, secret=credential.secret).update(
                        key_expires_at=checked.key_expires_at
                    )
                credential_record_check(
                    credential=credential, result=checked.result, actor=None, checked_secret=credential.secret,
                    resealed_secret=checked.resealed_secret, undecryptable=checked.undecryptable,
                    unreachable=bool(check) and _unreachable(check, outcome),
                    cause=check_cause(actor=None, result=checked.result, via=_via(credential, runs)),
                )
                if check is not None:
                    next_run(credential_id=credential.pk, run=check, outcome=outcome, now=now).save()
        pending.clear()

    def _warn_expiry(self, run: WatchRun, credential: Credential | None) -> None:
        """Send the key_expiring warning run stands for, once, unless the key changed since it was planned."""
        with transaction.atomic():
            expires_at = run.due_at + timedelta(days=run.days_left or 0)
            current = credential is not None and not credential.is_disabled and credential.key_expires_at == expires_at
            if self._finish([run], "sent" if current else "skipped") and current:
                signals.key_expiring.send(
                    sender=Credential, credential=credential, expires_at=expires_at, days_left=run.days_left
                )

    def prune(self) -> int:
        """Delete finished runs older than KEEP_FINISHED; return how many."""
        old = WatchRun.objects.filter(finished_at__lt=timezone.now() - KEEP_FINISHED).values_list("pk", flat=True)
        return WatchRun.objects.filter(pk__in=list(old[:10_000])).delete()[0]

    # --- Forever --------------------------------------------------------------------------
    def serve(self, *, stop: threading.Event, until_idle: bool = False) -> None:
        """Run due runs until stop is set (or, with until_idle, until none is due); wait WATCH_POLL_SECONDS
        between passes that found nothing, and plan new credentials' checks every PLAN_EVERY seconds."""
        logger.info("Watch worker %s started.", self.worker_id)
        pruned_at = planned_at = -PLAN_EVERY
        while not stop.is_set():
            # A connection broken meanwhile (a database restart) is replaced, as a request's would be.
            close_old_connections()
            plan = time.monotonic() - planned_at >= PLAN_EVERY
            if plan:
                planned_at = time.monotonic()
            try:
                claimed = self.run_due(plan=plan)
            except Exception:
                # What was not recorded is retried once its lease passes; the watch itself keeps going.
                logger.exception("Watch worker %s: a pass failed.", self.worker_id)
                stop.wait(settings.WATCH_POLL_SECONDS)
                continue
            if time.monotonic() - pruned_at > 3600:
                self.prune()
                pruned_at = time.monotonic()
            if claimed:
                logger.info("Watch worker %s ran %d due checks.", self.worker_id, claimed)
                continue
            if until_idle:
                break
            stop.wait(settings.WATCH_POLL_SECONDS)
        logger.info("Watch worker %s stopped.", self.worker_id)


def _unreachable(check: WatchRun, outcome: str) -> bool:
    """Return whether this failed check is the UNREACHABLE_AFTER-th in a row, so the key is marked so."""
    return outcome == Outcome.COULD_NOT_CHECK and check.after_outcome == outcome and check.streak + 1 >= UNREACHABLE_AFTER


def _via(credential: Credential, runs: list[WatchRun]) -> str:
    if any(run.job == Job.CONFIRM for run in runs):
        return (f"Calls through the proxy got {credential.connector.name}'s invalid-key answer, and a check "
                "confirmed it")
    return "Scheduled check"
