"""Who may use or manage which credential. Every view asks here."""
from django.core.exceptions import PermissionDenied
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import Http404

from credentials_app.models import Credential, CredentialShare, Membership

USE = "use"
MANAGE = "manage"


def _shares_reaching(user, level: str | None = None) -> QuerySet:
    shares = CredentialShare.objects.filter(credential=OuterRef("pk"), team__memberships__user=user)
    return shares.filter(level=level) if level else shares


def credentials_usable_by(user) -> QuerySet:
    """Return the credentials user owns or reaches through a team share."""
    if not user.is_authenticated:
        return Credential.objects.none()
    return Credential.objects.filter(Q(owner=user) | Exists(_shares_reaching(user)))


def credentials_manageable_by(user) -> QuerySet:
    """Return the credentials user owns or reaches through a "Can manage" share."""
    if not user.is_authenticated:
        return Credential.objects.none()
    return Credential.objects.filter(Q(owner=user) | Exists(_shares_reaching(user, CredentialShare.Level.MANAGE)))


def access_level(user, credential: Credential) -> str | None:
    """Return MANAGE, USE or None for user on credential."""
    if not user.is_authenticated:
        return None
    if credential.owner_id == user.pk:
        return MANAGE
    levels = set(
        CredentialShare.objects.filter(credential=credential, team__memberships__user=user).values_list(
            "level", flat=True
        )
    )
    if CredentialShare.Level.MANAGE in levels:
        return MANAGE
    return USE if levels else None


def get_credential_for(user, pk, *, manage: bool = False) -> Credential:
    """Return the credential pk for user: 404 if they may not see it, 403 if they may not manage it."""
    try:
        credential = Credential.objects.select_related("owner").get(pk=pk)
    except (Credential.DoesNotExist, ValueError, TypeError):
        raise Http404("No such credential.") from None
    level = access_level(user, credential)
    if level is None:
        raise Http404("No such credential.")
    if manage and level != MANAGE:
        raise PermissionDenied("You may use this credential but not change it.")
    return credential



def get_team_for(user, pk, *, admin: bool = False):
    """Return the team pk for user: 404 if they are not a member, 403 if admin is needed and they are not."""
    membership = (
        Membership.objects.select_related("team").filter(team_id=pk, user=user).first()
        if user.is_authenticated
        else None
    )
    if membership is None:
        raise Http404("No such team.")
    if admin and membership.role != Membership.Role.ADMIN:
        raise PermissionDenied("Only an admin of this team can do that.")
    return membership.team
