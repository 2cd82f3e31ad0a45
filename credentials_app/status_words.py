"""A credential's state in words that match it: what a Limited access key can read, how long a check took."""
import re

from django.contrib import messages

from connectors.base import Outcome, ValidationResult
from credentials_app.models import Credential

# Connectors end a Limited access answer with advice for the moment of saving ("Save it anyway
# only if ..."); once the credential is saved that advice no longer applies.
_SAVE_ADVICE = re.compile(r"\s*Save it anyway\b[^.]*\.")


def limit_in_words(message: str) -> str:
    """Return a Limited access message as it reads once the credential is saved: without the saving advice."""
    return _SAVE_ADVICE.sub("", message).strip()


def check_duration(milliseconds: int | None) -> str:
    """Return how long a check took as a person reads it: "321 ms" under a second, else "20.0 s"."""
    if milliseconds is None:
        return ""
    if milliseconds < 1000:
        return f"{milliseconds} ms"
    return f"{milliseconds / 1000:.1f} s"


def credential_state_summary(credential: Credential) -> str:
    """Return what the credential's last check found, for a page where it is chosen for use."""
    message = credential.status_message
    if credential.status == Credential.Status.VERIFIED:
        return f"“{credential.name}” is verified."
    if credential.status == Credential.Status.RESTRICTED:
        return f"“{credential.name}” has limited access: its key is verified. {limit_in_words(message)}".strip()
    found = f": {message}" if message else "."
    return f"“{credential.name}” is {credential.get_status_display()}{found} It may not work until its key is verified."


def check_result_words(result: ValidationResult, *, status_label: str) -> tuple[int, str]:
    """Return (message level, text) saying what a check found and how long it took.

    status_label is the credential's status after the check: a check that could not be done keeps it.
    """
    took = f" Check took {check_duration(result.duration_ms)}." if result.duration_ms is not None else ""
    if result.outcome == Outcome.COULD_NOT_CHECK:
        return messages.WARNING, f"Could not check: {result.message} The status stays “{status_label}”.{took}"
    if result.outcome == Outcome.REJECTED:
        return messages.ERROR, f"Checked: Rejected. {result.message}{took}"
    if result.outcome == Outcome.RESTRICTED:
        return messages.WARNING, f"Checked: Limited access. The key is verified. {limit_in_words(result.message)}{took}"
    return messages.SUCCESS, f"Checked: Verified. {result.message}{took}"
