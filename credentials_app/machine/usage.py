"""Count proxied calls per token, credential, hour and answer status; audit each token's first call.

Counts are held in memory and written in batches: every PROXY_USAGE_FLUSH_SECONDS a background
thread of each process adds what it holds with one UPDATE per token, credential, hour and status
(the thread runs only while calls come), and the process writes what is left when it exits. A
write per call would cost more than the rest of the proxy's own work. With
PROXY_USAGE_FLUSH_SECONDS=0 every call is written as it ends.
A batch that cannot be written is kept and tried again with the next one: no call goes uncounted.
"""
import atexit
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.db import IntegrityError, close_old_connections, connections, transaction
from django.db.models import F, QuerySet
from django.utils import timezone

from credentials_app import events
from credentials_app.models import ApiToken, Credential, ProxyUsage

logger = logging.getLogger(__name__)


@dataclass
class _Pending:
    token: ApiToken
    credential: Credential
    calls: int = 0


_lock = threading.Lock()  # guards _pending and _flusher
_flush_lock = threading.Lock()  # one flush at a time
_pending: dict[tuple, _Pending] = {}
_flusher: threading.Thread | None = None


def usage_record(*, token: ApiToken, credential: Credential, status: int) -> None:
    """Count one proxied call answered with status: at once, or with the next batch."""
    hour = timezone.now().replace(minute=0, second=0, microsecond=0)
    if not settings.PROXY_USAGE_FLUSH_SECONDS:
        _write(token, credential, hour, status, 1)
        return
    with _lock:
        pending = _pending.setdefault((token.pk, credential.pk, hour, status), _Pending(token, credential))
        pending.calls += 1
        _start_flusher()


def usage_flush() -> int:
    """Write every count held in memory by this process; return how many calls were written.

    One flush at a time: the one at exit waits for the flushing thread's write in progress.
    """
    global _pending
    with _flush_lock:
        with _lock:
            batch, _pending = _pending, {}
        written = 0
        for key, pending in batch.items():
            _, _, hour, status = key
            try:
                _write(pending.token, pending.credential, hour, status, pending.calls)
            except Exception:
                logger.exception("Could not write proxied-call counts; they are kept for the next batch")
                with _lock:
                    _pending.setdefault(key, _Pending(pending.token, pending.credential)).calls += pending.calls
            else:
                written += pending.calls
        return written


def _write(token: ApiToken, credential: Credential, hour, status: int, calls: int) -> None:
    """Add calls to their row; a new row of the token's first use with credential is audited with it, or neither."""

    def create() -> None:
        first_use = not ProxyUsage.objects.filter(token=token, credential=credential).exists()
        ProxyUsage.objects.create(token=token, credential=credential, hour=hour, status=status, count=calls)
        if first_use:
            events.proxy_first_use(credential=credential, token=token)

    count_on(ProxyUsage.objects.filter(token=token, credential=credential, hour=hour, status=status), calls, create)


def count_on(row: QuerySet, calls: int, create: Callable[[], None]) -> None:
    """Add calls to the one counter row selects; without one, create() makes it (and records what goes with
    it) in one transaction. A row another process created first is counted on."""
    if row.update(count=F("count") + calls):
        return
    try:
        with transaction.atomic():
            create()
    except IntegrityError:
        row.update(count=F("count") + calls)


def _start_flusher() -> None:
    """Start this process's flushing thread unless it runs (called with _lock held)."""
    global _flusher
    if _flusher is None:
        _flusher = threading.Thread(target=_flush_while_busy, name="proxy-usage-flusher", daemon=True)
        _flusher.start()


def _flush_while_busy() -> None:
    """Write the counts every interval; end once an interval passes with no call, holding no connection."""
    global _flusher
    while True:
        time.sleep(settings.PROXY_USAGE_FLUSH_SECONDS or 1)
        with _lock:
            if not _pending:
                _flusher = None
                break
        # As around a request: drop a connection the database closed, or one past CONN_MAX_AGE.
        close_old_connections()
        usage_flush()
    connections.close_all()  # this thread's own


# A worker stopped by its server (gunicorn's graceful stop, a restart) writes what it still holds.
atexit.register(usage_flush)
