"""Teams and their members. The rule that holds whoever acts: a team with members keeps an admin."""
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from credentials_app.models import Membership, Team
from credentials_app.names import clean_name

LAST_ADMIN_MESSAGE = "“{team}” needs at least one admin. Make someone else an admin first."
ROLE_MESSAGE = "Choose Admin or Member."


def team_keeps_admin(*, team: Team, remaining_roles) -> None:
    """Raise ValidationError if team has members and none of remaining_roles is Admin.

    remaining_roles are the roles the team's members would have after a change. A team that has
    never had members (being created) may have none yet.
    """
    had_members = team.pk is not None and Membership.objects.filter(team=team).exists()
    if had_members and Membership.Role.ADMIN not in set(remaining_roles):
        raise ValidationError(LAST_ADMIN_MESSAGE.format(team=team))


def _roles_after(team: Team, *, leaving, changed: dict) -> list[str]:
    """Return the members' roles once leaving memberships are gone and changed ({pk: role}) applied."""
    members = Membership.objects.select_for_update().filter(team=team).exclude(pk__in=[m.pk for m in leaving])
    return [changed.get(pk, role) for pk, role in members.values_list("pk", "role")]


def ensure_admins_remain(*, leaving=(), changed=()) -> None:
    """Raise ValidationError if a team would lose its last admin.

    leaving: memberships about to be removed; changed: memberships carrying the role they are
    about to be given. Teams of both are checked.
    """
    leaving, changed = list(leaving), list(changed)
    new_roles = {membership.pk: membership.role for membership in changed}
    with transaction.atomic():
        for team in {membership.team for membership in [*leaving, *changed]}:
            team_keeps_admin(team=team, remaining_roles=_roles_after(team, leaving=leaving, changed=new_roles))


def team_create(*, creator, name: str) -> Team:
    """Create a team called name with creator as its first admin."""
    name = clean_name(name, field="name", what="team")
    taken = ValidationError({"name": f"A team named “{name}” already exists. Choose another name."})
    if Team.objects.filter(name__iexact=name).exists():
        raise taken
    try:
        with transaction.atomic():
            team = Team.objects.create(name=name)
            Membership.objects.create(team=team, user=creator, role=Membership.Role.ADMIN)
    except IntegrityError:
        raise taken from None
    return team


def membership_change_role(*, membership: Membership, role: str) -> Membership:
    """Give membership role; the last admin of a team cannot become a member."""
    if role not in Membership.Role.values:
        raise ValidationError({"role": ROLE_MESSAGE})
    with transaction.atomic():
        membership.role = role
        ensure_admins_remain(changed=[membership])
        membership.save(update_fields=["role"])
    return membership


def memberships_remove(*, memberships) -> None:
    """Remove memberships (of one or more teams) together; refuse if a team would lose its last admin."""
    memberships = list(memberships)
    with transaction.atomic():
        ensure_admins_remain(leaving=memberships)
        Membership.objects.filter(pk__in=[membership.pk for membership in memberships]).delete()


def membership_remove(*, membership: Membership) -> None:
    """Remove membership from its team (also how a member leaves); never the team's last admin."""
    memberships_remove(memberships=[membership])
