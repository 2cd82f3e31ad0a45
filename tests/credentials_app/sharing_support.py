"""Helpers for the teams and sharing tests: build teams and shares in one line."""
from credentials_app.models import CredentialShare, Membership, Team


def make_team(name, *, admins=(), members=()) -> Team:
    """Create team name with the given admins and members."""
    team = Team.objects.create(name=name)
    for user in admins:
        Membership.objects.create(team=team, user=user, role=Membership.Role.ADMIN)
    for user in members:
        Membership.objects.create(team=team, user=user, role=Membership.Role.MEMBER)
    return team


def share(credential, team, level=CredentialShare.Level.USE, shared_by=None) -> CredentialShare:
    """Share credential with team at level, as the services would have stored it."""
    return CredentialShare.objects.create(
        credential=credential, team=team, level=level, shared_by=shared_by or credential.owner
    )
