"""Teams and their members. Changing them is a person's act: team tokens may only read their own team."""
from typing import Annotated
from uuid import UUID

from django.urls import reverse
from ninja import Path, Router, Status

from credentials_app.access import get_membership_in, get_team_for, memberships_of
from credentials_app.api.auth import READ, WRITE, audited_as_token
from credentials_app.api.connections import person_of
from credentials_app.api.problems import problem_responses
from credentials_app.api.schemas import InvitationOut, MemberIn, MemberOut, RoleIn, TeamIn, TeamOut
from credentials_app.invitations.services import invitation_create, invitation_send
from credentials_app.models import Membership, Team
from credentials_app.services.teams import membership_change_role, membership_remove, team_create

router = Router(tags=["teams"])
router.add_decorator(audited_as_token)


# Database integers are 64-bit; a larger id names nothing and must not reach the query.
MemberId = Annotated[int, Path(ge=1, le=2**63 - 1)]


def _team_out(team: Team, *, role: str | None) -> dict:
    return {"id": team.pk, "name": team.name, "role": role, "member_count": team.memberships.count()}


def _member_out(membership: Membership) -> dict:
    return {"id": membership.pk, "user": membership.user.get_username(), "role": membership.role}


def _role_of(token, team: Team) -> str | None:
    if token.is_team_token:
        return None
    return Membership.objects.values_list("role", flat=True).get(team=team, user=token.user)


@router.get("/", response={200: list[TeamOut], **problem_responses()}, auth=READ)
def list_teams(request):
    """List the teams of the token's person, with their role; a team token sees its team."""
    token = request.auth
    if token.is_team_token:
        return [_team_out(token.team, role=None)]
    memberships = memberships_of(token.user)
    return [
        {"id": m.team_id, "name": m.team.name, "role": m.role, "member_count": m.member_count} for m in memberships
    ]


@router.post("/", response={201: TeamOut, **problem_responses()}, auth=WRITE)
def create_team(request, payload: TeamIn):
    """Create a team with the token's person as its admin."""
    team = team_create(creator=person_of(request.auth), name=payload.name)
    return Status(201, _team_out(team, role=Membership.Role.ADMIN))


@router.get("/{uuid:team_id}", response={200: TeamOut, **problem_responses(404)}, auth=READ)
def get_team(request, team_id: UUID):
    team = get_team_for(request.auth, team_id)
    return _team_out(team, role=_role_of(request.auth, team))


@router.get("/{uuid:team_id}/members", response={200: list[MemberOut], **problem_responses(404)}, auth=READ)
def list_members(request, team_id: UUID):
    team = get_team_for(request.auth, team_id)
    return [_member_out(m) for m in team.memberships.select_related("user").order_by("user__username")]


@router.post("/{uuid:team_id}/members", response={202: InvitationOut, **problem_responses(404)}, auth=WRITE)
def add_member(request, team_id: UUID, payload: MemberIn):
    """Invite an email address to a team the token's person administers; they join when they accept.

    The answer is the same whether or not the address has an account here.
    """
    person = person_of(request.auth)
    team = get_team_for(request.auth, team_id, admin=True)
    invitation, token = invitation_create(team=team, email=payload.email, role=payload.role, invited_by=person)
    link = request.build_absolute_uri(reverse("invitation_accept", args=[token]))
    sent = invitation_send(invitation=invitation, link=link)
    return Status(202, {
        "email": invitation.email, "role": invitation.role, "expires_at": invitation.expires_at,
        "sent": sent, "link": None if sent else link,
    })


def _membership(token, team_id: UUID, member_id: int, *, own_allowed: bool) -> Membership:
    """Return the membership a person's token may change: 404 outside their teams, 403 unless admin.

    With own_allowed, a person may act on their own membership (leave) without being an admin.
    """
    person = person_of(token)
    team = get_team_for(token, team_id)
    membership = get_membership_in(team, member_id)
    if not (own_allowed and membership.user_id == person.pk):
        get_team_for(token, team_id, admin=True)
    return membership


@router.patch(
    "/{uuid:team_id}/members/{int:member_id}", response={200: MemberOut, **problem_responses(404)}, auth=WRITE
)
def change_member_role(request, team_id: UUID, member_id: MemberId, payload: RoleIn):
    """Make a member an admin or a member (team admins only); a team keeps at least one admin."""
    membership = _membership(request.auth, team_id, member_id, own_allowed=False)
    return _member_out(membership_change_role(membership=membership, role=payload.role))


@router.delete(
    "/{uuid:team_id}/members/{int:member_id}", response={204: None, **problem_responses(404)}, auth=WRITE
)
def remove_member(request, team_id: UUID, member_id: MemberId):
    """Remove a member (team admins), or leave the team (your own membership); never the last admin."""
    membership_remove(membership=_membership(request.auth, team_id, member_id, own_allowed=True))
    return Status(204, None)
