"""Add, turn on or off, and remove notification channels."""
from django.core.exceptions import ValidationError
from django.db import transaction

from credentials_app.models import NotificationChannel
from credentials_app.models.notifications import digest_of
from credentials_app.notifications.senders import new_signing_secret

Kind = NotificationChannel.Kind
# More than anyone needs; a bound on how many calls one event can cause.
MAX_CHANNELS = 10


def channel_create(*, kind: str, url: str, user=None, team=None) -> NotificationChannel:
    """Add a Slack or webhook channel for user or team; a webhook gets a new signing secret."""
    if kind not in (Kind.SLACK, Kind.WEBHOOK):
        raise ValidationError({"kind": "Choose Slack or Webhook."})
    owned = NotificationChannel.objects.filter(user=user, team=team)
    with transaction.atomic():
        if owned.filter(kind=kind, target_digest=digest_of(url)).exists():
            raise ValidationError({"url": "This URL is already a channel here."})
        if owned.count() >= MAX_CHANNELS:
            raise ValidationError(f"At most {MAX_CHANNELS} channels: remove one first.")
        return NotificationChannel.objects.create(
            user=user, team=team, kind=kind, target=url,
            signing_secret=new_signing_secret() if kind == Kind.WEBHOOK else "",
        )


def channel_set_enabled(*, channel: NotificationChannel, enabled: bool) -> None:
    """Turn channel on or off; an off channel is skipped when messages are queued."""
    channel.enabled = enabled
    channel.save(update_fields=["enabled"])


def channel_delete(*, channel: NotificationChannel) -> None:
    """Remove channel and its delivery log; the default email channel can only be turned off."""
    if channel.kind == Kind.EMAIL and not channel.target:
        raise ValidationError("Email to your account's address can be turned off, not removed.")
    channel.delete()
