"""Who must use two factors, and the changes an administrator or a team admin makes to that."""
from allauth.mfa.models import Authenticator
from django.conf import settings
from django.db import transaction

from credentials_app import events
from credentials_app.models import AuditEvent, Membership, Team

# A person has a second factor once they have an authenticator app or a passkey; recovery codes
# only stand in for one of those.
SECOND_FACTORS = [Authenticator.Type.TOTP, Authenticator.Type.WEBAUTHN]


def two_factor_required_of(user) -> bool:
    """Return whether user must have a second factor: the instance setting, or a team that asks it."""
    required_for = settings.TWO_FACTOR_REQUIRED_FOR
    if required_for == "everyone" or (required_for == "staff" and user.is_staff):
        return True
    return Membership.objects.filter(user=user, team__two_factor_required=True).exists()


def two_factor_enrolled(user) -> bool:
    """Return whether user has an authenticator app or a passkey."""
    return Authenticator.objects.filter(user=user, type__in=SECOND_FACTORS).exists()


@transaction.atomic
def two_factor_reset(*, user, actor) -> int:
    """Remove every second factor and recovery code of user (a lost device); return how many."""
    count, _ = Authenticator.objects.filter(user=user).delete()
    if count:
        events.two_factor_changed(user=user, actor=actor, action=AuditEvent.Action.TWO_FACTOR_RESET)
    return count


@transaction.atomic
def team_two_factor_set(*, team: Team, required: bool, actor) -> Team:
    """Require (or stop requiring) two factors of every member of team."""
    if team.two_factor_required != required:
        team.two_factor_required = required
        team.save(update_fields=["two_factor_required"])
        events.two_factor_team_rule(team=team, actor=actor)
    return team
