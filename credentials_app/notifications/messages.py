"""What a notification says: a subject, a text for people, and JSON data for webhooks. Never a key."""
from dataclasses import dataclass, field
from datetime import datetime

from django.conf import settings
from django.utils import timezone

from credentials_app.models import Credential

Status = Credential.Status
# A credential in one of these needs a person: its key is dead, unreadable, or could not be checked.
TROUBLE = frozenset({Status.REJECTED, Status.COULD_NOT_CHECK, Status.CANT_DECRYPT})


@dataclass(frozen=True)
class Message:
    """One event, as every channel tells it."""

    event: str
    subject: str
    text: str
    at: datetime
    data: dict = field(default_factory=dict)
    credential: Credential | None = None


def _label(status: str) -> str:
    try:
        return Status(status).label
    except ValueError:
        return status


def _when(moment: datetime) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M %Z")


def _provider_name(credential: Credential) -> str:
    try:
        return credential.connector.name
    except LookupError:
        return credential.provider


def _described(credential: Credential) -> str:
    fingerprint = f", key {credential.masked_fingerprint}" if credential.fingerprint else ""
    return f"“{credential.name}” ({_provider_name(credential)}{fingerprint})"


def _link(credential: Credential) -> str:
    if not settings.APP_BASE_URL:
        return ""
    return f"\n\n{settings.APP_BASE_URL}/credentials/{credential.pk}/"


def _credential_data(credential: Credential) -> dict:
    return {
        "id": str(credential.pk),
        "name": credential.name,
        "provider": credential.provider,
        "fingerprint": credential.fingerprint,
    }


def health_message(*, credential: Credential, old: str, new: str, cause: str, at: datetime) -> Message | None:
    """Return the message for a move into or out of trouble; None for any other move."""
    into, out_of = new in TROUBLE and old not in TROUBLE, old in TROUBLE and new not in TROUBLE
    if not (into or out_of):
        return None
    described = _described(credential)
    moved = f"{_label(old)} → {_label(new)} at {_when(at)}."
    reason = f"\nCause: {cause}" if cause else ""
    if into:
        event, subject = "credential.trouble", f"{credential.name} is {_label(new)}"
        text = (f"{described} needs attention: {moved}{reason}\n"
                "Pipelines using it may be failing. Replace its key, or check it again once fixed.")
    else:
        event, subject = "credential.recovered", f"{credential.name} works again: {_label(new)}"
        text = f"{described} works again: {moved}{reason}"
    data = {"credential": _credential_data(credential), "old": {"status": old, "label": _label(old)},
            "new": {"status": new, "label": _label(new)}, "cause": cause, "at": at.isoformat()}
    return Message(event, subject, text + _link(credential), at, data, credential)


def key_replaced_message(*, credential: Credential, actor_name: str, at: datetime) -> Message:
    """Return the message saying credential's key was replaced, by whom and when."""
    by = f" by {actor_name}" if actor_name else ""
    text = f"The key of {_described(credential)} was replaced{by} at {_when(at)}."
    data = {"credential": _credential_data(credential), "actor": actor_name, "at": at.isoformat()}
    return Message("credential.key_replaced", f"{credential.name}: key replaced", text + _link(credential),
                   at, data, credential)


def key_expiring_message(*, credential: Credential, expires_at: datetime, days_left: int) -> Message:
    """Return the warning that credential's key expires in days_left days."""
    days = "1 day" if days_left == 1 else f"{days_left} days"
    text = (f"The key of {_described(credential)} expires in {days}, at {_when(expires_at)}. "
            "Replace it before then, or pipelines using it will stop.")
    data = {"credential": _credential_data(credential), "expires_at": expires_at.isoformat(), "days_left": days_left}
    return Message("credential.key_expiring", f"{credential.name}: key expires in {days}", text + _link(credential),
                   timezone.now(), data, credential)


def test_message(*, at: datetime) -> Message:
    """Return the message the "Send a test notification" button sends."""
    text = ("This is a test notification from Credential Manager. Credentials you own or manage will be "
            "reported here when their keys stop working, work again, expire soon or are replaced.")
    return Message("notification.test", "Test notification", text, at, {"at": at.isoformat()})
