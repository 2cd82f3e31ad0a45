"""Middleware: first-run setup redirect, and a CSP header where Django has no CSP middleware."""
from django.conf import settings
from django.contrib.auth import get_user_model
from django.shortcuts import redirect


class FirstRunSetupMiddleware:
    """Send every request to /setup/ until the first account exists."""

    exempt_prefixes = ("/setup/", "/static/")

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
