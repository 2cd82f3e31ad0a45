"""Middleware: first-run setup redirect, and a CSP header where Django has no CSP middleware."""
from django.conf import settings
from django.contrib.auth import get_user_model
from django.http import JsonResponse
from django.shortcuts import redirect, render

from credentials_app.crypto import KeyringError


class FirstRunSetupMiddleware:
    """Send every request to /setup/ until the first account exists."""

    # The API answers with its own problems: with no account there is no token, so 401.
    exempt_prefixes = ("/setup/", "/static/", "/api/")

    def __init__(self, get_response):
        self.get_response = get_response
        self.has_users = False

    def __call__(self, request):
        if not self.has_users and not request.path.startswith(self.exempt_prefixes):
            # Once true it stays true: users are never all removed from a running install.
            self.has_users = get_user_model().objects.exists()
            if not self.has_users:
                return redirect("setup")
        return self.get_response(request)


class ContentSecurityPolicyMiddleware:
    """Set Content-Security-Policy from SECURE_CSP on Django versions before 6.0."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        policy = "; ".join(f"{name} {' '.join(values)}" for name, values in settings.SECURE_CSP.items())
        if policy:
            response.headers.setdefault("Content-Security-Policy", policy)
        return response


class KeyringErrorMiddleware:
    """Answer a missing or malformed encryption keyring with a page that names the fix."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not isinstance(exception, KeyringError):
            return None
        if request.headers.get("Accept", "").startswith("application/json"):
            return JsonResponse(
                {"ok": False, "outcome": "server_error", "message": f"Nothing was saved. {exception}"}, status=503
            )
        return render(request, "keyring_error.html", {"message": str(exception)}, status=503)
