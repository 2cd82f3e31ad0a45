"""Health moves: a credential's status changing, recorded in its history and announced in one transaction."""
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from connectors.base import ValidationResult
from credentials_app import events
from credentials_app.models import Credential
from credentials_app.watch import signals


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
        signals.health_changed.send(sender=Credential, credential=credential, old=old, new=new, cause=cause, at=at)
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
