"""The last proof of identity in a session: signing in, or a second look since."""
import time

from django.conf import settings

SESSION_KEY = "credentials_app.proved_at"


def proof_record(request) -> None:
    """Note in the session that its user proved who they are just now."""
    request.session[SESSION_KEY] = time.time()


def proof_is_recent(request) -> bool:
    """Return whether the session's last proof is younger than ACCOUNT_REAUTHENTICATION_TIMEOUT."""
    proved_at = request.session.get(SESSION_KEY)
    return proved_at is not None and time.time() - proved_at < settings.ACCOUNT_REAUTHENTICATION_TIMEOUT
