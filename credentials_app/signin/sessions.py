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
            now = time.time()
            if now - request.session.get(SEEN_KEY, 0) >= settings.SESSION_LAST_SEEN_SECONDS:
                UserSession.objects.create_from_request(request)
                request.session[SEEN_KEY] = now
        return self.get_response(request)


def sessions_end_for_user(*, user) -> int:
    """Sign user out everywhere: end every session recorded for them; return how many."""
    sessions = list(UserSession.objects.filter(user=user))
    for session in sessions:
        session.end()
    return len(sessions)
