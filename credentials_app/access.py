"""Who may use or manage which credential. Every view asks here."""
from django.core.exceptions import PermissionDenied
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import Http404

from credentials_app.models import ApiToken, Credential, CredentialShare, Membership

USE = "use"
MANAGE = "manage"


def _principal(who) -> tuple:
    """Return (user, team) that who acts as: a person or a personal token as the person, a team token as its team.

    Every function here takes any of the three, so a token reaches exactly what its person or its
    team reaches, by the same rules.
    """
    if isinstance(who, ApiToken):
        return (None, who.team) if who.is_team_token else (who.user, None)
    return (who if who.is_authenticated else None), None


def _shares_of(who) -> QuerySet:
    user, team = _principal(who)
    if team is not None:
        return CredentialShare.objects.filter(team=team)
    return CredentialShare.objects.filter(team__memberships__user=user)


def _reachable(who, level: str | None = None) -> QuerySet:
    user, team = _principal(who)
    if user is None and team is None:
        return Credential.objects.none()
    shares = _shares_of(who).filter(credential=OuterRef("pk"))
    reached = Exists(shares.filter(level=level) if level else shares)
    # A team owns nothing: its token reaches only what is shared with the team.
    return Credential.objects.filter(Q(owner=user) | reached if user is not None else reached)


def credentials_usable_by(who) -> QuerySet:
    """Return the credentials who (a person or an API token) owns or reaches through a team share."""
    return _reachable(who)


def credentials_manageable_by(who) -> QuerySet:
    """Return the credentials who (a person or an API token) owns or reaches through a "Can manage" share."""
    return _reachable(who, CredentialShare.Level.MANAGE)


def access_level(who, credential: Credential) -> str | None:
    """Return MANAGE, USE or None for who (a person or an API token) on credential."""
    user, team = _principal(who)
    if user is None and team is None:
        return None
    if user is not None and credential.owner_id == user.pk:
        return MANAGE
    levels = set(_shares_of(who).filter(credential=credential).values_list("level", flat=True))
    if CredentialShare.Level.MANAGE in levels:
        return MANAGE
    return USE if levels else None


def get_credential_for(who, pk, *, manage: bool = False) -> Credential:
    """Return the credential pk for who: 404 if they may not see it, 403 if they may not manage it."""
    try:
        credential = Credential.objects.select_related("owner").get(pk=pk)
    except (Credential.DoesNotExist, ValueError, TypeError):
        raise Http404("No such credential.") from None
    level = access_level(who, credential)
    if level is None:
        raise Http404("No such credential.")
    if manage and level != MANAGE:
        raise PermissionDenied("You may use this credential but not change it.")
    return credential


def get_team_for(who, pk, *, admin: bool = False):
    """Return the team pk for who: 404 if they are not a member, 403 if admin is needed and they are not.

    A team token sees its own team and administers none.
    """
    user, team = _principal(who)
    if team is not None:
        if str(team.pk) != str(pk):
            raise Http404("No such team.")
        if admin:
            raise PermissionDenied("A team token cannot administer its team.")
        return team
    membership = (
        Membership.objects.select_related("team").filter(team_id=pk, user=user).first()
        if user is not None
        else None
    )
    if membership is None:
        raise Http404("No such team.")
    if admin and membership.role != Membership.Role.ADMIN:
        raise PermissionDenied("Only an admin of this team can do that.")
    return membership.team


def tokens_manageable_by(user) -> QuerySet:
    """Return the API tokens user may see and revoke: their own, and those of the teams they administer."""
    admin_of = Membership.objects.filter(user=user, role=Membership.Role.ADMIN).values("team_id")
    return ApiToken.objects.filter(Q(user=user) | Q(team_id__in=admin_of))


def get_token_for(user, pk) -> ApiToken:
    """Return the API token pk if user may revoke it, else 404."""
    try:
        return tokens_manageable_by(user).get(pk=pk)
    except (ApiToken.DoesNotExist, ValueError, TypeError):
        raise Http404("No such token.") from None
