"""When each credential is checked next: at its own stable time in the interval, backing off after refusals.

A credential's checks fall on its slots: offset + k × interval, the offset a hash of its id, so a
day's checks spread evenly over the day and each credential keeps its time. A refused key waits
2, 4, ... intervals (up to WATCH_REJECTED_MAX_DAYS); a check that could not be done is retried
after WATCH_RETRY_MINUTES, doubling, up to the interval.
"""
import hashlib
import math
from datetime import datetime, timedelta, timezone as dt_timezone

from django.conf import settings
from django.db.models import Exists, OuterRef

from connectors.base import Outcome
from credentials_app.models import Credential
from credentials_app.models import WatchRun

# A key that could not be checked this many scheduled times in a row is marked "Could not check":
# a single blip (a timeout, a 503) changes nothing.
UNREACHABLE_AFTER = 3
# The outcome of a check whose secret did not decrypt: retrying sooner would not help.
CANT_DECRYPT = "cant_decrypt"
# Days before a key's known expiry that a warning is sent, once each.
EXPIRY_WARNING_DAYS = (14, 3, 1)
PLAN_BATCH = 1000


def interval() -> timedelta:
    return timedelta(hours=settings.WATCH_CHECK_INTERVAL_HOURS)


def slot_at_or_after(credential_id, moment: datetime) -> datetime:
    """Return credential_id's first check slot at or after moment."""
    period = interval().total_seconds()
    digest = hashlib.sha256(str(credential_id).encode()).digest()
    offset = int.from_bytes(digest[:8], "big") % max(1, int(period))
    k = math.ceil((moment.timestamp() - offset) / period)
    return datetime.fromtimestamp(k * period + offset, tz=dt_timezone.utc)


def first_due(credential: Credential, now: datetime) -> datetime:
    """Return when a credential the watch has not planned yet is due: now if never checked, else at its
    first slot half an interval after its last check (in the past if that check is old)."""
    if credential.last_checked_at is None:
        return now
    return slot_at_or_after(credential.pk, credential.last_checked_at + interval() / 2)


def next_run(*, credential_id, run: WatchRun, outcome: str, now: datetime) -> WatchRun:
    """Return the (unsaved) check run that follows run, which ended with outcome."""
    streak = run.streak + 1 if run.after_outcome == outcome else 1
    doubling = 2 ** min(streak, 20)
    if outcome == Outcome.COULD_NOT_CHECK:
        due = now + min(interval(), timedelta(minutes=settings.WATCH_RETRY_MINUTES) * doubling / 2)
    elif outcome == Outcome.REJECTED:
        wait = min(interval() * doubling, max(interval(), timedelta(days=settings.WATCH_REJECTED_MAX_DAYS)))
        due = slot_at_or_after(credential_id, now + wait - interval() / 2)
    else:
        due = slot_at_or_after(credential_id, now + interval() / 2)
    return WatchRun(job=WatchRun.Job.CHECK, credential_id=credential_id, due_at=due, after_outcome=outcome,
                    streak=streak)


def watch_plan(*, now: datetime) -> None:
    """Give every enabled credential without a waiting check one, and plan expiry warnings.

    Every worker plans; the unique constraints make a run planned twice one row.
    """
    waiting = WatchRun.objects.filter(credential=OuterRef("pk"), job=WatchRun.Job.CHECK, finished_at__isnull=True)
    unplanned = Credential.objects.filter(disabled_at__isnull=True).exclude(Exists(waiting)).order_by("pk")
    after = None
    while True:
        batch = list((unplanned.filter(pk__gt=after) if after else unplanned).only("pk", "last_checked_at")[:PLAN_BATCH])
        if not batch:
            break
        WatchRun.objects.bulk_create(
            [WatchRun(job=WatchRun.Job.CHECK, credential_id=credential.pk, due_at=first_due(credential, now))
             for credential in batch],
            ignore_conflicts=True,
        )
        after = batch[-1].pk
    runs = []
    expiring = Credential.objects.filter(
        disabled_at__isnull=True, key_expires_at__gt=now,
        key_expires_at__lte=now + timedelta(days=max(EXPIRY_WARNING_DAYS) + 1),
    ).only("pk", "key_expires_at")
    for credential in expiring:
        runs += expiry_warnings(credential, now)
    WatchRun.objects.bulk_create(runs, ignore_conflicts=True)


def expiry_warnings(credential: Credential, now: datetime) -> list[WatchRun]:
    """Return the (unsaved) warning runs for credential's key expiry: each one still ahead, and the latest one
    already passed (a key added with 2 days left is warned at once, not three times)."""
    dues = [(credential.key_expires_at - timedelta(days=days), days) for days in EXPIRY_WARNING_DAYS]
    passed = [(due, days) for due, days in dues if due <= now]
    chosen = [(due, days) for due, days in dues if due > now] + passed[-1:]
    return [WatchRun(job=WatchRun.Job.EXPIRY, credential_id=credential.pk, due_at=due, days_left=days)
            for due, days in chosen]
