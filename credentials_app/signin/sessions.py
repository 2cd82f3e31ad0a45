"""Signed-in sessions: when each was last seen, and ending them all when a person is deactivated."""
import time

from allauth.usersessions.models import UserSession
from django.conf import settings

SEEN_KEY = "credentials_app.seen_at"


class SessionLastSeenMiddleware:
    """Record a signed-in session's address, browser and last request, at most once a SESSION_LAST_SEEN_SECONDS.

    allauth's own tracking writes on every request; "last seen" to the minute is enough here.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.user.is_authenticated and request.session.session_key:
            if time.time() - request.session.get(SEEN_KEY, 0) >= settings.SESSION_LAST_SEEN_SECONDS:
                session_record(request, user=request.user)
        return self.get_response(request)


def session_record(request, *, user) -> None:
    """Record the session's address, browser and this moment as last seen.

    A request without a client address (the test client's force_login) is only marked as seen.
    """
    if request.META.get("REMOTE_ADDR"):
        UserSession.objects.create_from_request(request, user=user, session=request.session)
    request.session[SEEN_KEY] = time.time()


def sessions_end_for_user(*, user) -> int:
    """Sign user out everywhere: end every session recorded for them; return how many."""
    sessions = list(UserSession.objects.filter(user=user))
    for session in sessions:
        session.end()
    return len(sessions)
