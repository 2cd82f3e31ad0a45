"""A person who must use two factors and has none reaches nothing but enrolment until they add one."""
import time

from django.conf import settings
from django.contrib import messages
from django.shortcuts import redirect
from django.urls import reverse

from credentials_app.signin.services import two_factor_enrolled, two_factor_required_of

ENROL_MESSAGE = "Add a second factor (an authenticator app or a passkey) before you continue."
# Until this time the session's person needs no enrolment: asked at most once a SESSION_LAST_SEEN_SECONDS.
CLEARED_KEY = "credentials_app.two_factor_cleared_until"


class TwoFactorEnrolmentMiddleware:
    """Send a signed-in person who must enrol to the two-factor page, from any other page.

    Open to them: the two-factor pages (under /accounts/2fa/), the second look those pages may ask
    for, signing out, static files, and the API (API tokens are not affected by sign-in rules).
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if (
            request.user.is_authenticated
            and not self._open(request.path_info)
            and must_enrol(session=request.session, user=request.user)
        ):
            if request.method == "GET":
                messages.warning(request, ENROL_MESSAGE)
            return redirect("mfa_index")
        return self.get_response(request)

    @staticmethod
    def _open(path: str) -> bool:
        open_paths = (
            reverse("mfa_index"), reverse("account_logout"), reverse("account_reauthenticate"), reverse("signin_again"),
            "/static/", "/api/",
        )
        return path.startswith(open_paths)


def must_enrol(*, session, user) -> bool:
    """Return whether user must add a second factor first; a "no" holds for a minute, sparing a query a page."""
    if session.get(CLEARED_KEY, 0) > time.time():
        return False
    must = two_factor_required_of(user) and not two_factor_enrolled(user)
    if not must:
        session[CLEARED_KEY] = time.time() + settings.SESSION_LAST_SEEN_SECONDS
    return must
