"""Who may use or manage which credential. Every view asks here."""
from django.core.exceptions import PermissionDenied
from django.db import connections, router
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import Http404

from credentials_app.models import ApiToken, Credential, CredentialShare, Membership
from credentials_app.prepared_sql import fetch_all, statement

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
    if isinstance(who, ApiToken):
        user_id, team_id = (None, who.team_id) if who.is_team_token else (who.user_id, None)
    else:
        user_id, team_id = (who.pk if who.is_authenticated else None), None
    if user_id is None and team_id is None:
        return None
    if user_id is not None and credential.owner_id == user_id:
        return MANAGE
    levels = _share_levels(credential, user_id=user_id, team_id=team_id)
    if CredentialShare.Level.MANAGE in levels:
        return MANAGE
    return USE if levels else None


def _share_levels(credential: Credential, *, user_id, team_id) -> set[str]:
    """Return the levels of credential's shares with team_id, or with the teams user_id is a member of.

    What `_shares_of(who).filter(credential=credential)` selects, in SQL built once: every proxied
    call asks this, and compiling the ORM query cost more than the rest of the call's server time.
    """
    connection = connections[router.db_for_read(CredentialShare)]
    if team_id is not None:
        found = statement("share-levels-of-team", connection, _share_levels_of_team_sql)
        principal = CredentialShare._meta.get_field("team").get_db_prep_value(team_id, connection)
    else:
        found = statement("share-levels-of-member", connection, _share_levels_of_member_sql)
        principal = Membership._meta.get_field("user").get_db_prep_value(user_id, connection)
    credential_id = CredentialShare._meta.get_field("credential").get_db_prep_value(credential.pk, connection)
    return {level for (level,) in fetch_all(connection, found, [principal, credential_id])}


def _share_levels_of_team_sql(connection) -> str:
    quote, share = connection.ops.quote_name, CredentialShare._meta
    return (f"SELECT {quote(share.get_field('level').column)} FROM {quote(share.db_table)}"
            f" WHERE {quote(share.get_field('team').column)} = %s AND {quote(share.get_field('credential').column)} = %s")


def _share_levels_of_member_sql(connection) -> str:
    quote, share, membership = connection.ops.quote_name, CredentialShare._meta, Membership._meta
    s, m = quote("share"), quote("membership")
    return (f"SELECT {s}.{quote(share.get_field('level').column)} FROM {quote(share.db_table)} {s}"
            f" INNER JOIN {quote(membership.db_table)} {m}"
            f" ON {m}.{quote(membership.get_field('team').column)} = {s}.{quote(share.get_field('team').column)}"
            f" WHERE {m}.{quote(membership.get_field('user').column)} = %s"
            f" AND {s}.{quote(share.get_field('credential').column)} = %s")


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
