"""Accepting a team invitation: join with the account you are signed in to, or make one."""
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.db import transaction
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters

from credentials_app.forms import InvitedAccountForm
from credentials_app.invitations.services import InvitationUnusable, invitation_accept, invitation_from_token


def _unusable(request):
    return render(request, "credentials_app/invitations/unusable.html", {"message": InvitationUnusable.message}, status=410)


@never_cache
@sensitive_post_parameters("password1", "password2")
def invitation_accept_view(request, token):
    """Show an invitation; on POST join its team, signed in, or with a new account made here."""
    try:
        invitation = invitation_from_token(token)
    except InvitationUnusable:
        return _unusable(request)
    form = None
    if not request.user.is_authenticated:
        if not settings.LOCAL_SIGN_UP:
            return _sign_in_first(request, invitation)
        form = InvitedAccountForm(request.POST or None)
    if request.method == "POST" and (form is None or form.is_valid()):
        try:
            with transaction.atomic():
                if form is not None:
                    user = form.save(commit=False)
                    # The address is the person's only when the link went to it by mail: a link handed to
                    # the admin proves nothing of the mailbox (and single sign-on links accounts by address).
                    if settings.EMAIL_CONFIGURED:
                        user.email = invitation.email
                    user.save()
                membership = invitation_accept(token=token, user=request.user if form is None else user)
        except InvitationUnusable:
            return _unusable(request)
        if form is not None:
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        messages.success(request, f"You joined “{membership.team}” as {membership.get_role_display()}.")
        return redirect("team_detail", pk=membership.team_id)
    return _accept_page(request, invitation, form, status=400 if form is not None and form.is_bound else 200)


def _sign_in_first(request, invitation):
    """Without local sign-up, someone signed out can only sign in (by password or single sign-on) first."""
    return _accept_page(request, invitation, None, status=200)


def _accept_page(request, invitation, form, *, status):
    sign_in_url = f"{reverse('account_login')}?{urlencode({'next': request.path})}"
    return render(
        request,
        "credentials_app/invitations/accept.html",
        {"invitation": invitation, "form": form, "sign_in_url": sign_in_url, "sign_up": settings.LOCAL_SIGN_UP},
        status=status,
    )
