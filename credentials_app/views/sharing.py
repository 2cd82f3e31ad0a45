"""A credential's sharing page: share with your teams, change the level, unshare."""
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from credentials_app.access import get_credential_for, get_share_for
from credentials_app.forms import ShareForm
from credentials_app.models import CredentialShare
from credentials_app.services.sharing import credential_share, credential_share_change_level, credential_unshare
from credentials_app.signin.decorators import posted, second_look_required
from credentials_app.views.form_errors import act_and_tell

@login_required
@second_look_required(when=posted("level", CredentialShare.Level.MANAGE))
def credential_sharing(request, pk):
    """Show who a credential is shared with; share it with more of your teams (managers only)."""
    credential = get_credential_for(request.user, pk, manage=True)
    form = ShareForm(request.POST or None, user=request.user, credential=credential)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                shares = credential_share(
                    credential=credential, teams=form.cleaned_data["teams"],
                    level=form.cleaned_data["level"], actor=request.user,
                )
            except ValidationError as error:
                form.add_error(None, error.messages)
            else:
                teams = ", ".join(f"“{share.team}”" for share in shares)
                messages.success(
                    request, f"“{credential}” is now shared with {teams} ({shares[0].get_level_display()})."
                )
                return redirect("credential_sharing", pk=credential.pk)
        status = 400
    shares = credential.shares.select_related("team", "shared_by").order_by("team__name")
    return render(
        request,
        "credentials_app/teams/credential_sharing.html",
        {"credential": credential, "shares": shares, "form": form, "levels": CredentialShare.Level.choices},
        status=status,
    )


def _share_of(request, pk, team_pk):
    return get_share_for(request.user, pk, team_pk)


@login_required
@require_POST
@second_look_required(when=posted("level", CredentialShare.Level.MANAGE))
def credential_share_level(request, pk, team_pk):
    """Change the level a team has on the credential."""
    credential, share = _share_of(request, pk, team_pk)
    act_and_tell(
        request,
        lambda: credential_share_change_level(share=share, level=request.POST.get("level", ""), actor=request.user),
        lambda: f"“{share.team}” now has “{share.get_level_display()}” on “{credential}”.",
    )
    return redirect("credential_sharing", pk=credential.pk)


@login_required
@require_POST
def credential_unshare_view(request, pk, team_pk):
    """Stop sharing the credential with a team, at once."""
    credential, share = _share_of(request, pk, team_pk)
    credential_unshare(share=share, actor=request.user)
    messages.success(
        request,
        f"“{credential}” is no longer shared with “{share.team}”. "
        "Data sources and destinations already built with it keep working.",
    )
    return redirect("credential_sharing", pk=credential.pk)
