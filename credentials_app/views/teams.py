"""Teams: the list of a user's teams, a team's page, and what its admins and members may do there."""
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from credentials_app.access import get_membership_in, get_team_for, memberships_of
from credentials_app.invitations.services import invitation_create, invitation_send, invitation_withdraw
from credentials_app.models import Invitation, Membership
from credentials_app.forms import MemberAddForm, TeamForm
from credentials_app.services.teams import membership_change_role, membership_remove, team_create
from credentials_app.signin.decorators import posted, second_look_required
from credentials_app.signin.services import team_two_factor_set
from credentials_app.views.form_errors import act_and_tell, add_service_errors


@login_required
def team_list(request):
    """List the user's teams; create a new one with the user as its admin."""
    form = TeamForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            team = team_create(creator=request.user, name=form.cleaned_data["name"])
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, f"Team “{team}” created. You are its admin.")
            return redirect("team_detail", pk=team.pk)
    memberships = memberships_of(request.user)
    return render(request, "credentials_app/teams/team_list.html", {"memberships": memberships, "form": form})


def _team_page(request, team, *, add_form=None, status=200):
    memberships = team.memberships.select_related("user").order_by("user__username")
    mine = next(membership for membership in memberships if membership.user_id == request.user.pk)
    shares = team.shares.select_related("credential", "shared_by").order_by("credential__name")
    return render(
        request,
        "credentials_app/teams/team_detail.html",
        {
            "team": team,
            "memberships": memberships,
            "mine": mine,
            "is_admin": mine.role == Membership.Role.ADMIN,
            "shares": shares,
            "roles": Membership.Role.choices,
            "add_form": add_form or MemberAddForm(),
            "invitations": team.invitations.filter(accepted_at__isnull=True, expires_at__gt=timezone.now()),
        },
        status=status,
    )


@login_required
def team_detail(request, pk):
    """Show a team's members and the credentials shared with it (never a key)."""
    return _team_page(request, get_team_for(request.user, pk))


@login_required
@require_POST
@second_look_required(when=posted("role", Membership.Role.ADMIN))
def team_member_add(request, pk):
    """Invite someone by email (team admins only); the answer is the same whether or not they have an account."""
    team = get_team_for(request.user, pk, admin=True)
    form = MemberAddForm(request.POST)
    if not form.is_valid():
        return _team_page(request, team, add_form=form, status=400)
    try:
        invitation, token = invitation_create(
            team=team, email=form.cleaned_data["email"], role=form.cleaned_data["role"], invited_by=request.user
        )
    except ValidationError as error:
        add_service_errors(form, error)
        return _team_page(request, team, add_form=form, status=400)
    link = request.build_absolute_uri(reverse("invitation_accept", args=[token]))
    if invitation_send(invitation=invitation, link=link):
        messages.success(request, f"Invitation sent to {invitation.email}. The link works once, for {settings.INVITATION_DAYS} days.")
    else:
        messages.success(
            request,
            f"Invitation for {invitation.email} made. This install sends no mail: pass them this link, "
            f"which works once, for {settings.INVITATION_DAYS} days: {link}",
        )
    return redirect("team_detail", pk=team.pk)


@login_required
@require_POST
def team_invitation_withdraw(request, pk, invitation_pk):
    """Withdraw an invitation nobody has accepted (team admins only); its link stops working."""
    team = get_team_for(request.user, pk, admin=True)
    invitation = get_object_or_404(Invitation, pk=invitation_pk, team=team)
    invitation_withdraw(invitation=invitation)
    messages.success(request, f"Invitation for {invitation.email} withdrawn.")
    return redirect("team_detail", pk=team.pk)


def _membership_of(team, membership_pk):
    return get_membership_in(team, membership_pk)


@login_required
@require_POST
@second_look_required
def team_member_role(request, pk, membership_pk):
    """Change a member's role to Admin or Member (team admins only)."""
    team = get_team_for(request.user, pk, admin=True)
    membership = _membership_of(team, membership_pk)
    act_and_tell(
        request,
        lambda: membership_change_role(membership=membership, role=request.POST.get("role", "")),
        lambda: f"{membership.user.get_username()} is now {membership.get_role_display()}.",
    )
    return redirect("team_detail", pk=team.pk)


def _removes_an_admin(request) -> bool:
    """Return whether the POST removes one of the team's admins: a change of its admins, asked for again."""
    return Membership.objects.filter(pk=request.resolver_match.kwargs["membership_pk"], role=Membership.Role.ADMIN).exists()


@login_required
@require_POST
@second_look_required(when=_removes_an_admin)
def team_member_remove(request, pk, membership_pk):
    """Remove a member from the team (team admins only)."""
    team = get_team_for(request.user, pk, admin=True)
    membership = _membership_of(team, membership_pk)
    removed = act_and_tell(
        request,
        lambda: membership_remove(membership=membership),
        lambda: f"{membership.user.get_username()} removed from “{team}”.",
    )
    if removed and membership.user_id == request.user.pk:
        return redirect("team_list")
    return redirect("team_detail", pk=team.pk)


@login_required
@require_POST
@second_look_required
def team_two_factor(request, pk):
    """Require a second factor of every member, or stop requiring it (team admins only)."""
    team = get_team_for(request.user, pk, admin=True)
    team_two_factor_set(team=team, required=request.POST.get("required") == "on", actor=request.user)
    if team.two_factor_required:
        messages.success(request, f"Every member of “{team}” must now sign in with a second factor.")
    else:
        messages.success(request, f"Members of “{team}” are no longer required to use a second factor.")
    return redirect("team_detail", pk=team.pk)


@login_required
@require_POST
def team_leave(request, pk):
    """Leave the team; its last admin must first make someone else an admin."""
    team = get_team_for(request.user, pk)
    membership = Membership.objects.select_related("team").get(team=team, user=request.user)
    try:
        membership_remove(membership=membership)
    except ValidationError as error:
        messages.error(request, f"You cannot leave yet: {' '.join(error.messages)}")
        return redirect("team_detail", pk=team.pk)
    messages.success(request, f"You left “{team}”.")
    return redirect("team_list")
