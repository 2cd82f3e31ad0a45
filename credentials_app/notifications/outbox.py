"""The outbox: messages written with their event, and the worker step that sends those due.

At least once: a row is written in the transaction that records the event, so it exists exactly
when the event does. deliver_due claims due rows with SELECT ... FOR UPDATE SKIP LOCKED and leases
them (next_attempt_at moves past the lease) before sending outside any transaction: two workers never
send one row at once, and a row whose worker died is sent again once its lease ends.
"""
import logging
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import close_old_connections, connections, transaction
from django.db.models import F
from django.utils import timezone

from credentials_app.notifications.messages import Message, test_message
from credentials_app.models import Notification, NotificationChannel
from credentials_app.notifications.recipients import channels_for_credential, destinations
from credentials_app.notifications.senders import DeliveryFailed, send

logger = logging.getLogger(__name__)

# Longer than any one send can take (connect and read timeouts, an SMTP conversation).
LEASE = timedelta(minutes=5)
# However many tries, never wait longer than this between two.
LONGEST_WAIT = timedelta(hours=6)

State = Notification.State
# Set when this process queues a notification: its delivery thread (the watch's) then sends at once.
_queued = threading.Event()


def notifications_enqueue(*, message: Message, channels) -> list[Notification]:
    """Write one pending row per enabled channel (and email address) for message; return them."""
    rows = [
        Notification(
            channel=channel, address=address, event=message.event, credential=message.credential,
            subject=message.subject[:300], text=message.text, payload=message.data, occurred_at=message.at,
            next_attempt_at=timezone.now(),
        )
        for channel, address in destinations(channels)
    ]
    created = Notification.objects.bulk_create(rows)
    if created:
        transaction.on_commit(_queued.set)
    return created


def credential_notify(*, message: Message) -> list[Notification]:
    """Queue message for everyone who hears of its credential: the owner and the managers of each sharing team."""
    return notifications_enqueue(message=message, channels=channels_for_credential(message.credential))


def retry_delay(attempts: int) -> timedelta:
    """Return how long to wait after the attempts-th failed try: NOTIFICATION_RETRY_SECONDS, doubling."""
    return min(timedelta(seconds=settings.NOTIFICATION_RETRY_SECONDS * 2 ** (attempts - 1)), LONGEST_WAIT)


@dataclass
class DeliveryReport:
    """What one deliver_due call did."""

    sent: int = 0
    retrying: int = 0
    failed: int = 0

    def __str__(self):
        return f"{self.sent} sent, {self.retrying} to retry, {self.failed} given up"

    @property
    def taken(self) -> int:
        return self.sent + self.retrying + self.failed


def claim_due(*, limit: int, now: datetime, ids=None) -> list[Notification]:
    """Lease up to limit due rows (or those of ids) to this worker and return them, oldest due first."""
    with transaction.atomic():
        due = Notification.objects.filter(state=State.PENDING, next_attempt_at__lte=now)
        if ids is not None:
            due = due.filter(pk__in=ids)
        claimed = list(
            due.order_by("next_attempt_at").select_for_update(skip_locked=True).values_list("pk", flat=True)[:limit]
        )
        Notification.objects.filter(pk__in=claimed).update(next_attempt_at=now + LEASE, attempts=F("attempts") + 1)
    rows = Notification.objects.filter(pk__in=claimed).select_related("channel", "channel__user", "channel__team")
    return sorted(rows, key=lambda row: claimed.index(row.pk))


def deliver_due(limit: int = 100, *, now: datetime | None = None, ids=None) -> DeliveryReport:
    """Send up to limit due notifications, each once; schedule a retry (with backoff) for each that fails.

    The scheduler's worker calls this on every tick; `manage.py send_notifications` calls it in a loop.
    """
    now = now or timezone.now()
    report = DeliveryReport()
    for row in claim_due(limit=limit, now=now, ids=ids):
        try:
            send(row, now_timestamp=int(timezone.now().timestamp()))
        except DeliveryFailed as failure:
            _record_failure(row, str(failure), now, report)
        else:
            Notification.objects.filter(pk=row.pk).update(
                state=State.SENT, sent_at=timezone.now(), next_attempt_at=None, last_error=""
            )
            report.sent += 1
            logger.info("notification %s (%s) sent by %s on try %d", row.pk, row.event, row.channel.kind, row.attempts)
    return report


def deliver_forever(*, stop: threading.Event, interval: float = 5.0, limit: int = 100, on_report=None) -> None:
    """Send due notifications until stop is set: round after round while rounds are full, else every interval.

    Runs in a thread of its own beside other work (a slow receiver then delays only notifications), or
    as a process's main loop (`manage.py send_notifications --forever`). on_report(report) hears of
    every round that sent or failed something.
    """
    try:
        while not stop.is_set():
            close_old_connections()
            try:
                report = deliver_due(limit=limit)
            except Exception:
                # A database restarting or busy, or keys that cannot be read, must not end the loop: what was
                # leased is taken again later. As after any round: again after interval, or at once when this
                # process queues a message.
                logger.exception("Sending notifications failed; trying again in %g s.", interval)
                _idle(stop, interval)
                continue
            if report.taken and on_report is not None:
                on_report(report)
            if report.taken < limit:
                _idle(stop, interval)
    finally:
        connections.close_all()


def _idle(stop: threading.Event, seconds: float) -> None:
    """Wait seconds, or less: until this process queues a notification, or stop is set."""
    deadline = time.monotonic() + seconds
    while not stop.is_set() and (left := deadline - time.monotonic()) > 0:
        if _queued.wait(min(left, 0.25)):
            _queued.clear()
            return


def _record_failure(row: Notification, reason: str, now: datetime, report: DeliveryReport) -> None:
    if row.attempts >= settings.NOTIFICATION_MAX_ATTEMPTS:
        Notification.objects.filter(pk=row.pk).update(state=State.FAILED, next_attempt_at=None, last_error=reason)
        report.failed += 1
        logger.warning("notification %s (%s) by %s given up after %d tries: %s",
                       row.pk, row.event, row.channel.kind, row.attempts, reason)
        return
    Notification.objects.filter(pk=row.pk).update(next_attempt_at=now + retry_delay(row.attempts), last_error=reason)
    report.retrying += 1
    logger.warning("notification %s (%s) by %s failed on try %d, will retry: %s",
                   row.pk, row.event, row.channel.kind, row.attempts, reason)


def channel_send_test(*, channel: NotificationChannel) -> list[Notification]:
    """Queue a test message on channel and try it at once; return its rows as they now stand."""
    rows = notifications_enqueue(message=test_message(at=timezone.now()), channels=[channel])
    deliver_due(limit=len(rows), ids=[row.pk for row in rows])
    return list(Notification.objects.filter(pk__in=[row.pk for row in rows]))
