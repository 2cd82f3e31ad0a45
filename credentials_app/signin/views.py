"""The admin's sign-in page, served by the one sign-in so that it asks for the second factor too; and the
second look for people who sign on only."""
from allauth.account import views as account_views
from allauth.account.utils import get_next_redirect_url
from django.core.exceptions import PermissionDenied
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render


def admin_login(request, extra_context=None):
    """Sign in at /admin/login/ exactly as at /accounts/login/: password, then the second factor.

    Django's own admin login would sign in with the password alone.
    """
    if not request.user.is_authenticated:
        return account_views.login(request)
    if not (request.user.is_active and request.user.is_staff):
        raise PermissionDenied
    return redirect(get_next_redirect_url(request) or "admin:index")


@login_required
def sign_in_again(request):
    """Ask someone with no password and no second factor to sign in again before a sensitive act."""
    return render(request, "account/sign_in_again.html")
