"""Pages that only make sense when the app can send email."""
from functools import wraps

from django.conf import settings
from django.http import Http404


def email_required(view):
    """Return view, answering 404 unless email is configured (EMAIL_URL or EMAIL_HOST)."""

    @wraps(view)
    def gated(request, *args, **kwargs):
        if not settings.EMAIL_CONFIGURED:
            raise Http404("Password reset needs email, which is not configured.")
        return view(request, *args, **kwargs)

    return gated
