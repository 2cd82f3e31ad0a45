"""The API tokens page: create a token (shown once), see when each was last used, revoke one."""
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_variables
from django.views.decorators.http import require_POST

from credentials_app.access import get_token_for, tokens_manageable_by
from credentials_app.forms import ApiTokenForm
from credentials_app.models import Team
from credentials_app.services.tokens import (
    token_create, token_name_in_use, token_open_to_show, token_revoke, token_seal_to_show,
)
from credentials_app.signin.decorators import second_look_required
from credentials_app.views.form_errors import add_service_errors

# The new token waits here between the POST and the page that shows it, and is removed as it is shown.
SHOWN_ONCE = "api_token_shown_once"


@sensitive_variables()
@never_cache
@login_required
@second_look_required
def token_list(request):
    """List the user's tokens and their teams' tokens; create one, then show it this once after a redirect."""
    admin_teams = Team.objects.filter(memberships__user=request.user, memberships__role="admin").order_by("name")
    form = ApiTokenForm(request.POST or None, admin_teams=admin_teams)
    if request.method == "POST" and form.is_valid():
        name, team = form.cleaned_data["name"], form.team()
        duplicate = token_name_in_use(creator=request.user, name=name, team=team)
        try:
            created, raw_token = token_create(
                creator=request.user, name=name, scopes=form.cleaned_data["scopes"],
                expires_in_days=form.expires_in_days(), team=team,
            )
        except ValidationError as error:
            add_service_errors(form, error)
        except PermissionDenied as error:
            form.add_error("owner", str(error))
        else:
            # A reload of the page that shows it is a GET: it cannot create a second token.
            # The session row holds it until then, sealed as the app's secrets are.
            sealed = token_seal_to_show(raw_token=raw_token, user=request.user)
            request.session[SHOWN_ONCE] = {
                "name": created.name, "prefix": created.prefix, "sealed": sealed, "duplicate": duplicate,
            }
            return redirect("token_list")
    new_token = _shown_once(request)
    tokens = tokens_manageable_by(request.user).select_related("team", "created_by").order_by("-created_at")
    return render(
        request,
        "credentials_app/tokens.html",
        {"form": form, "tokens": tokens, "new_token": new_token},
        status=400 if form.is_bound else 200,
    )


def _shown_once(request) -> dict | None:
    """Return the token just created, to show this once (its raw value opened), and forget it."""
    new_token = request.session.pop(SHOWN_ONCE, None)
    if new_token is None:
        return None
    raw = token_open_to_show(sealed=new_token.pop("sealed"), user=request.user)
    return {**new_token, "raw": raw} if raw else None


@require_POST
@login_required
def token_revoke_view(request, pk):
    """Revoke a token the user may manage."""
    token = get_token_for(request.user, pk)
    token_revoke(token=token, actor=request.user)
    messages.success(request, f"Token “{token.name}” revoked. Requests with it are refused from now on.")
    return redirect("token_list")
