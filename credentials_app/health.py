"""A credential's health: the signals the app sends when it moves, and recording a move.

A status change is recorded in the credential's history and announced (health_changed) in one
transaction; the watch, the check services and the notifications meet here.
"""
from datetime import datetime

from django.db import transaction
from django.dispatch import Signal
from django.utils import timezone

from connectors.base import ValidationResult
from credentials_app import events
from credentials_app.models import Credential


# Sent inside the transaction that records the move, so a receiver's rows commit with it.
# Arguments: credential, old (a Credential.Status value), new (a Credential.Status value), cause (str, never a key), at (datetime).
health_changed = Signal()
# Sent inside the transaction that stores the new key. Arguments: credential, actor_name (str), at (datetime).
key_replaced = Signal()
# Sent once per warning. Arguments: credential, expires_at (datetime), days_left (int: 14, 3 or 1).
key_expiring = Signal()


def health_move(
    *, credential: Credential, old: str, new: str, cause: str, at: datetime | None = None, actor=None
) -> bool:
    """Record credential's move from status old to new with its cause, and send health_changed; return
    whether it moved. actor is the person whose act moved it (Check now, Replace key), None for the app.

    Call it inside the transaction that stores the new status: the history row and whatever the
    receivers write (notifications) commit with it, or not at all. cause never holds a key.
    """
    if old == new:
        return False
    at = at or timezone.now()
    with transaction.atomic():
        events.health_changed(credential=credential, actor=actor, old=old, new=new, cause=cause)
        health_changed.send(sender=Credential, credential=credential, old=old, new=new, cause=cause, at=at)
    return True


def check_cause(*, actor, result: ValidationResult, via: str = "") -> str:
    """Return why a check moved a status, in the users' words: who or what checked, and what the provider said."""
    if via:
        who = via
    elif actor is not None and actor.is_authenticated:
        who = f"Checked by {actor.get_username()}"
    else:
        who = "Checked by the app"
    return f"{who}: {result.message}".strip()
