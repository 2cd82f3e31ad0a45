"""Who may use or manage which credential. Every view asks here."""
from django.core.exceptions import PermissionDenied
from django.db import connections, router
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import Http404

from credentials_app.models import ApiToken, Credential, CredentialShare, Membership
from credentials_app.prepared_reads import Subquery, fetch_all, read_unique, read_unique_with, statement

USE = "use"
MANAGE = "manage"


def _principal(who) -> tuple:
    """Return (user id, team id) that who acts as: a person or a personal token as the person, a team token
    as its team; None (no valid token) as nobody. Neither row is loaded.

    Every function here takes any of these, so a token reaches exactly what its person or its
    team reaches, by the same rules.
    """
    if who is None:
        return None, None
    if isinstance(who, ApiToken):
        return (None, who.team_id) if who.is_team_token else (who.user_id, None)
    return (who.pk if who.is_authenticated else None), None


def _shares_of(who) -> QuerySet:
    user_id, team_id = _principal(who)
    if team_id is not None:
        return CredentialShare.objects.filter(team_id=team_id)
    return CredentialShare.objects.filter(team__memberships__user_id=user_id)


def _reachable(who, level: str | None = None) -> QuerySet:
    user_id, team_id = _principal(who)
    if user_id is None and team_id is None:
        return Credential.objects.none()
    shares = _shares_of(who).filter(credential=OuterRef("pk"))
    reached = Exists(shares.filter(level=level) if level else shares)
    # A team owns nothing: its token reaches only what is shared with the team.
    return Credential.objects.filter(Q(owner_id=user_id) | reached if user_id is not None else reached)


def credentials_usable_by(who) -> QuerySet:
    """Return the credentials who (a person or an API token) owns or reaches through a team share."""
    return _reachable(who)


def credentials_manageable_by(who) -> QuerySet:
    """Return the credentials who (a person or an API token) owns or reaches through a "Can manage" share."""
    return _reachable(who, CredentialShare.Level.MANAGE)


def access_level(who, credential: Credential) -> str | None:
    """Return MANAGE, USE or None for who (a person or an API token) on credential."""
    user_id, team_id = _principal(who)
    if user_id is None and team_id is None:
        return None
    if user_id is not None and credential.owner_id == user_id:
        return MANAGE
    connection = connections[router.db_for_read(CredentialShare)]
    by_team = team_id is not None
    found = statement(f"best-share-of-{'team' if by_team else 'member'}", connection,
                      lambda connection: _best_share_sql(connection, by_team=by_team, credential="%s"))
    principal = _principal_field(by_team).get_db_prep_value(team_id if by_team else user_id, connection)
    credential_id = CredentialShare._meta.get_field("credential").get_db_prep_value(credential.pk, connection)
    [(rank,)] = fetch_all(connection, found, [principal, credential_id])
    return _SHARE_RANKS.get(rank)


def read_credential_for(who, field_name: str, value) -> tuple[Credential | None, str | None]:
    """Return the credential whose unique field_name is value (None if none) and access_level(who, it), in one query.

    who may be None (no valid token): the credential is still returned, with no access.

    The machine endpoints ask this on every call, where read_unique and access_level would take two
    queries: on PostgreSQL each is a round trip.
    """
    user_id, team_id = _principal(who)
    if user_id is None and team_id is None:
        return read_unique(Credential, field_name, value), None
    by_team = team_id is not None
    best_share = Subquery(
        f"best-share-of-{'team' if by_team else 'member'}",
        lambda connection, credential: _best_share_sql(connection, by_team=by_team, credential=credential),
        _principal_field(by_team),
    )
    credential, rank = read_unique_with(Credential, field_name, value, best_share, team_id if by_team else user_id)
    if credential is None:
        return None, None
    if user_id is not None and credential.owner_id == user_id:
        return credential, MANAGE
    return credential, _SHARE_RANKS.get(rank)


# What _best_share_sql's rank means: the best level among the shares found; None when none is.
_SHARE_RANKS = {0: MANAGE, 1: USE}


def _principal_field(by_team: bool):
    return CredentialShare._meta.get_field("team") if by_team else Membership._meta.get_field("user")


def _best_share_sql(connection, *, by_team: bool, credential: str) -> str:
    """Return SQL for the best rank among the shares of credential (an SQL expression) with the team %s,
    or (not by_team) with the teams the person %s is a member of: 0 "Can manage", 1 "Can use", NULL none.

    What `_shares_of(who).filter(credential=credential)` selects, as SQL built once: compiling that
    ORM query on every proxied call cost more than the rest of the call's server time.
    """
    quote, share, membership = connection.ops.quote_name, CredentialShare._meta, Membership._meta
    s, m = quote("share"), quote("membership")
    manage = CredentialShare.Level.MANAGE.value
    assert manage.isalpha()  # written into the SQL as a literal
    rank = f"MIN(CASE WHEN {s}.{quote(share.get_field('level').column)} = '{manage}' THEN 0 ELSE 1 END)"
    shares = f"{quote(share.db_table)} {s}"
    if by_team:
        principal = f"{s}.{quote(share.get_field('team').column)}"
    else:
        shares += (f" INNER JOIN {quote(membership.db_table)} {m}"
                   f" ON {m}.{quote(membership.get_field('team').column)} = {s}.{quote(share.get_field('team').column)}")
        principal = f"{m}.{quote(membership.get_field('user').column)}"
    return (f"SELECT {rank} FROM {shares}"
            f" WHERE {principal} = %s AND {s}.{quote(share.get_field('credential').column)} = {credential}")


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
    user_id, team_id = _principal(who)
    if team_id is not None:
        if str(team_id) != str(pk):
            raise Http404("No such team.")
        if admin:
            raise PermissionDenied("A team token cannot administer its team.")
        return who.team
    membership = (
        Membership.objects.select_related("team").filter(team_id=pk, user_id=user_id).first()
        if user_id is not None
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
