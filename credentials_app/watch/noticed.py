"""Keys noticed dying in use: a proxied call answered with the provider's "invalid key" makes the watch
confirm with one check, off the request thread, and mark the key Rejected at once if the provider refuses it.

The proxy only stores a confirmation run (a WatchRun due now); the watch claims it within
WATCH_POLL_SECONDS, before any scheduled check. At most one confirmation per credential per
WATCH_CONFIRM_WINDOW_SECONDS (counted like check budgets: per process, or in the shared cache) and at
most one waiting per credential across servers (a unique row): a pipeline failing a thousand calls
causes one check, not a thousand.
"""
import logging
import zlib

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from credentials_app import counting_windows
from credentials_app.models import Credential
from credentials_app.models import WatchRun

logger = logging.getLogger(__name__)
# The start of an answer read for the "invalid key" marker: it sits in the first error of the body.
HEAD_BYTES = 2048


def wants_head(credential: Credential, status: int) -> bool:
    """Return whether an answer with status could be the provider's "invalid key", so its start is worth keeping."""
    return status in credential.connector.invalid_key_statuses


def proxy_answer_seen(*, credential: Credential, status: int, head: bytes, content_encoding: str = "") -> bool:
    """Note a provider's answer to a proxied call; if it says the key is invalid, ask the watch for a
    confirming check (unless one was asked for in this window or waits already) and return True."""
    if not wants_head(credential, status) or credential.status == Credential.Status.REJECTED:
        return False
    if "gzip" in content_encoding.lower():
        head = _gunzipped_start(head)
    if not credential.connector.says_key_invalid(status, head):
        return False
    window = settings.WATCH_CONFIRM_WINDOW_SECONDS
    if counting_windows.spend_one(f"watch-confirm:{credential.pk}", seconds=window).count > 1:
        return False
    try:
        with transaction.atomic():
            WatchRun.objects.create(job=WatchRun.Job.CONFIRM, credential=credential, due_at=timezone.now())
    except IntegrityError:
        return False  # One waits already, asked for by another server.
    logger.info("Proxied calls with credential %s got %s's invalid-key answer: the watch confirms with one check.",
                credential.pk, credential.connector.name)
    return True


def _gunzipped_start(head: bytes) -> bytes:
    """Return the start of a gzip-compressed body as sent, decompressed as far as head goes."""
    try:
        return zlib.decompressobj(wbits=31).decompress(head, HEAD_BYTES)
    except zlib.error:
        return b""
