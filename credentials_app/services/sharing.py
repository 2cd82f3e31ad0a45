"""Sharing credentials with teams at "Can use" or "Can manage"; every change is audited."""
from django.core.exceptions import ValidationError
from django.db import transaction

from credentials_app import events
from credentials_app.models import Credential, CredentialShare, Membership, Team

LEVEL_MESSAGE = "Choose “Can use” or “Can manage”."


def _ensure_level(level: str) -> None:
    if level not in CredentialShare.Level.values:
        raise ValidationError({"level": LEVEL_MESSAGE})


def share_grant(*, credential: Credential, team: Team, level: str, actor) -> CredentialShare:
    """Share credential with team at level, or set the level of the share it has; return the share.

    Any team: callers that act for a person check that it is one of theirs (credential_share).
    """
    _ensure_level(level)
    with transaction.atomic():
        share, created = CredentialShare.objects.get_or_create(
            credential=credential, team=team, defaults={"level": level, "shared_by": actor}
        )
        if created:
            events.shared(share=share, actor=actor)
        else:
            credential_share_change_level(share=share, level=level, actor=actor)
    return share


def credential_share(*, credential: Credential, teams, level: str, actor) -> list[CredentialShare]:
    """Share credential with each of teams at level; each must be a team actor belongs to.

    A team the credential is already shared with gets the new level.
    """
    _ensure_level(level)
    teams = list(teams)
    if not teams:
        raise ValidationError({"teams": "Choose at least one team."})
    own_team_ids = set(Membership.objects.filter(user=actor).values_list("team_id", flat=True))
    # Never name a team the actor is not in: the refusal must not tell them what it is called.
    if any(team.pk not in own_team_ids for team in teams):
        raise ValidationError({"teams": "You can only share with your own teams."})
    with transaction.atomic():
        return [share_grant(credential=credential, team=team, level=level, actor=actor) for team in teams]


def credential_share_change_level(*, share: CredentialShare, level: str, actor) -> CredentialShare:
    """Set share's level; record it as a share at the new level."""
    _ensure_level(level)
    if share.level == level:
        return share
    previous = share.level
    with transaction.atomic():
        share.level = level
        share.save(update_fields=["level"])
        events.shared(share=share, actor=actor, previous_level=previous)
    return share


def credential_unshare(*, share: CredentialShare, actor) -> None:
    """Stop sharing; the team loses access at once. Connections already built keep working."""
    with transaction.atomic():
        events.unshared(share=share, actor=actor)
        share.delete()


def team_delete(*, team: Team, actor) -> None:
    """Delete team; each credential shared with it is unshared first, audited as on the sharing page."""
    with transaction.atomic():
        for share in team.shares.select_related("credential", "team"):
            credential_unshare(share=share, actor=actor)
        team.delete()
