"""Where people are told about their credentials (channels), and each message owed to one (the outbox)."""
import hashlib
import uuid
from urllib.parse import urlsplit

from django.conf import settings
from django.db import models

from credentials_app import crypto
from credentials_app.models.sealed import SealedTextField


class NotificationChannel(models.Model):
    """One way to reach a person or a team: email, a Slack incoming webhook, or a signed webhook.

    A person's email channel with no address mails their account's address; a team's mails each of
    the team's admins. Slack and webhook URLs carry their own secret (Slack's is its path), so a URL is
    shown only as its scheme and host once saved, and stored sealed, as the signing secret is; its
    digest finds it and keeps it unique.
    """

    class Kind(models.TextChoices):
        EMAIL = "email", "Email"
        SLACK = "slack", "Slack"
        WEBHOOK = "webhook", "Webhook"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    # Exactly one of user (a person's own channel) and team (chosen by the team's admins) is set.
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, null=True, blank=True,
        related_name="notification_channels",
    )
    team = models.ForeignKey(
        "credentials_app.Team", on_delete=models.CASCADE, null=True, blank=True, related_name="notification_channels"
    )
    kind = models.CharField(max_length=10, choices=Kind.choices)
    # The URL (Slack, webhooks) or email address; "" for a person's (or team's admins') own address.
    target = SealedTextField(blank=True)
    # SHA-256 of target: sealing makes target itself unsearchable.
    target_digest = models.CharField(max_length=64, editable=False)
    # What display_target shows of a URL, kept so a page never needs the keyring to list channels.
    target_shown = models.TextField(blank=True, editable=False)
    # The Standard Webhooks signing secret, "whsec_<base64>"; webhooks only.
    signing_secret = SealedTextField(blank=True, editable=False)
    enabled = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        app_label = "credentials_app"
        ordering = ["kind", "created_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(user__isnull=False, team__isnull=True)
                | models.Q(user__isnull=True, team__isnull=False),
                name="notification_channel_personal_or_team",
            ),
            models.UniqueConstraint(
                fields=["user", "kind", "target_digest"], condition=models.Q(user__isnull=False),
                name="unique_personal_notification_channel",
            ),
            models.UniqueConstraint(
                fields=["team", "kind", "target_digest"], condition=models.Q(team__isnull=False),
                name="unique_team_notification_channel",
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()}: {self.display_target}"

    def save(self, *args, **kwargs):
        update_fields = kwargs.get("update_fields")
        # A target read but not opened (its key gone) keeps the digest and shown part it has.
        if (update_fields is None or "target" in update_fields) and not crypto.is_sealed(self.target):
            self.target_digest = digest_of(self.target)
            self.target_shown = "" if self.kind == self.Kind.EMAIL else public_part(self.target)
            if update_fields is not None:
                kwargs["update_fields"] = {*update_fields, "target_digest", "target_shown"}
        super().save(*args, **kwargs)

    @property
    def display_target(self) -> str:
        """Return where the channel goes, in words that reveal no URL secret."""
        if self.kind == self.Kind.EMAIL:
            if self.target:
                return self.target
            return "the team's admins" if self.team_id else (self.user.email or "your account's email (none set)")
        return self.target_shown


class Notification(models.Model):
    """One message owed to one channel (and, for email, one address): the outbox row and its delivery log.

    Written in the transaction that records the event, so it exists exactly when the event does;
    the delivery worker sends it at least once, retrying with backoff. Its id is the webhook-id,
    the same on every retry, so a receiver can drop a message it already has.
    """

    class State(models.TextChoices):
        PENDING = "pending", "Waiting"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    channel = models.ForeignKey(NotificationChannel, on_delete=models.CASCADE, related_name="notifications")
    # The one email address this row goes to; empty for Slack and webhooks.
    address = models.EmailField(blank=True)
    event = models.CharField(max_length=40)
    credential = models.ForeignKey(
        "credentials_app.Credential", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    subject = models.CharField(max_length=300)
    text = models.TextField()
    # The webhook body's "data"; never a key, a fingerprint at most.
    payload = models.JSONField(default=dict)
    occurred_at = models.DateTimeField()
    state = models.CharField(max_length=10, choices=State.choices, default=State.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    # When a worker may next take it: the next try, or the end of a running worker's lease.
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=300, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        app_label = "credentials_app"
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["state", "next_attempt_at"], name="notification_due"),
            models.Index(fields=["channel", "-created_at"], name="notification_log"),
        ]

    def __str__(self):
        return f"{self.subject} → {self.channel} ({self.get_state_display()})"

    @property
    def webhook_id(self) -> str:
        return f"msg_{self.id.hex}"


def digest_of(target: str) -> str:
    """Return the SHA-256 of a channel's target, hex: how a sealed target is found and kept unique."""
    return hashlib.sha256(target.encode()).hexdigest()


def public_part(url: str) -> str:
    """Return scheme://host[:port]/… of url: never its path, query or user info."""
    parts = urlsplit(url)
    host = parts.hostname or "?"
    if ":" in host:
        host = f"[{host}]"
    port = f":{parts.port}" if _port_or_none(parts) else ""
    return f"{parts.scheme}://{host}{port}/…"


def _port_or_none(parts):
    try:
        return parts.port
    except ValueError:
        return None
