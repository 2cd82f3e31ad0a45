"""A person who must use two factors and has none reaches nothing but enrolment until they add one."""
from django.contrib import messages
from django.shortcuts import redirect
from django.urls import reverse

from credentials_app.signin.services import two_factor_enrolled, two_factor_required_of

ENROL_MESSAGE = "Add a second factor (an authenticator app or a passkey) before you continue."


class TwoFactorEnrolmentMiddleware:
    """Send a signed-in person who must enrol to the two-factor page, from any other page.

    Open to them: the two-factor pages (under /accounts/2fa/), the second look those pages may ask
    for, signing out, static files, and the API (API tokens are not affected by sign-in rules).
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.user.is_authenticated and not self._open(request.path_info) and self._must_enrol(request.user):
            if request.method == "GET":
                messages.warning(request, ENROL_MESSAGE)
            return redirect("mfa_index")
        return self.get_response(request)

    @staticmethod
    def _open(path: str) -> bool:
        open_paths = (
            reverse("mfa_index"), reverse("account_logout"), reverse("account_reauthenticate"), "/static/", "/api/",
        )
        return path.startswith(open_paths)

    @staticmethod
    def _must_enrol(user) -> bool:
        return two_factor_required_of(user) and not two_factor_enrolled(user)
