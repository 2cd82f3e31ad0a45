"""Turn the watch's signals into outbox rows, in the sender's transaction: one row per channel per event."""
import logging
from functools import wraps

from django.db import transaction
from django.dispatch import receiver
from django.utils import timezone

from credentials_app.notifications.messages import health_message, key_expiring_message, key_replaced_message
from credentials_app.notifications.outbox import credential_notify
from credentials_app.health import health_changed, key_expiring, key_replaced

logger = logging.getLogger(__name__)


def _never_breaks_the_event(queue):
    """Run queue in a savepoint; if it fails, log it and let the event (a key replaced, a status recorded) commit.

    A message lost to a bug here is logged; a key replacement lost to one would lose what the user stored.
    """

    @wraps(queue)
    def guarded(sender, *, credential, **kwargs):
        try:
            with transaction.atomic():
                queue(sender, credential=credential, **kwargs)
        except Exception:
            logger.exception("No notification queued for credential %s (%s).", credential.pk, queue.__name__)

    return guarded


@receiver(health_changed, dispatch_uid="notify_health_changed")
@_never_breaks_the_event
def notify_health_changed(sender, *, credential, old, new, cause, at, **kwargs):
    """Queue a message for a move into or out of trouble; other moves tell no one."""
    message = health_message(credential=credential, old=old, new=new, cause=cause, at=at or timezone.now())
    if message is not None:
        credential_notify(message=message)


@receiver(key_replaced, dispatch_uid="notify_key_replaced")
@_never_breaks_the_event
def notify_key_replaced(sender, *, credential, actor_name, at, **kwargs):
    """Queue a message saying credential's key was replaced."""
    credential_notify(message=key_replaced_message(credential=credential, actor_name=actor_name, at=at or timezone.now()))


@receiver(key_expiring, dispatch_uid="notify_key_expiring")
@_never_breaks_the_event
def notify_key_expiring(sender, *, credential, expires_at, days_left, **kwargs):
    """Queue the warning that credential's key expires in days_left days."""
    credential_notify(message=key_expiring_message(credential=credential, expires_at=expires_at, days_left=days_left))
