"""Who may use or manage which credential. Every view asks here."""
import uuid

from django.core.exceptions import PermissionDenied
from django.db import connections, router
from django.db.models import Case, Count, Exists, Min, OuterRef, Q, QuerySet, Value, When
from django.http import Http404

from credentials_app.models import ApiToken, Connection, Credential, CredentialShare, Membership
from credentials_app.prepared_reads import Statement, Subquery, fetch_all, read_unique, read_unique_with

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
    return _shares_by(*_principal(who))


def _shares_by(user_id, team_id) -> QuerySet:
    """Return the shares a team reaches (team_id), or a person through the teams they are in."""
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
    found, slots = _best_share_statement(connection, by_team=by_team)
    values = {
        "principal": _principal_field(by_team).get_db_prep_value(team_id if by_team else user_id, connection),
        "credential": CredentialShare._meta.get_field("credential").get_db_prep_value(credential.pk, connection),
    }
    rows = fetch_all(connection, found, [values[slot] for slot in slots])
    return _SHARE_RANKS.get(rows[0][0]) if rows else None


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
        lambda connection, credential: _best_share_sql(connection, by_team=by_team, credential_sql=credential)[0],
        _principal_field(by_team),
    )
    credential, rank = read_unique_with(Credential, field_name, value, best_share, team_id if by_team else user_id)
    if credential is None:
        return None, None
    if user_id is not None and credential.owner_id == user_id:
        return credential, MANAGE
    return credential, _SHARE_RANKS.get(rank)


# What _best_share_query's rank means: the best level among the shares found; None when none is.
_SHARE_RANKS = {0: MANAGE, 1: USE}


def _principal_field(by_team: bool):
    return CredentialShare._meta.get_field("team") if by_team else Membership._meta.get_field("user")


def _best_share_query(*, by_team: bool, principal, credential) -> QuerySet:
    """Return the best rank among principal's shares of credential: 0 "Can manage", 1 "Can use", no row none.

    principal is a team id (by_team) or a person's id; the shares are _shares_by's, so the share
    rule is written once, here and in the lists above alike.
    """
    shares = _shares_by(None, principal) if by_team else _shares_by(principal, None)
    manage = Case(When(level=CredentialShare.Level.MANAGE, then=Value(0)), default=Value(1))
    return (shares.filter(credential_id=credential).order_by().values("credential_id")
            .annotate(rank=Min(manage)).values("rank"))


# Values nobody's id can be, marking where the principal and the credential go in the compiled SQL.
_PRINCIPAL_MARKS = {True: uuid.UUID(int=0xB157), False: -0xB157}
_CREDENTIAL_MARK = uuid.UUID(int=0xC0DE)


def _best_share_sql(connection, *, by_team: bool, credential_sql: str) -> tuple[str, list[str]]:
    """Return _best_share_query's SQL, compiled once by the ORM for connection, and its slots.

    The principal's value becomes a %s placeholder and the credential credential_sql (an SQL expression,
    or "%s"); every other value the ORM bound is written in as a literal. slots names what each %s
    of the result takes, in order ("principal", "credential"). Compiling the query on every proxied
    call cost more than the rest of the call's server time; built from the ORM query, the SQL keeps
    every rule of it, a filtering default manager included.
    """
    query = _best_share_query(by_team=by_team, principal=_PRINCIPAL_MARKS[by_team], credential=_CREDENTIAL_MARK)
    sql, params = query.query.get_compiler(connection=connection).as_sql()
    principal = _principal_field(by_team).get_db_prep_value(_PRINCIPAL_MARKS[by_team], connection)
    credential = CredentialShare._meta.get_field("credential").get_db_prep_value(_CREDENTIAL_MARK, connection)
    pieces = sql.split("%s")
    if "%%" in sql or len(pieces) != len(params) + 1:
        raise ValueError("The share query's SQL has placeholders this builder cannot place.")
    built, slots = [pieces[0]], []
    for param, piece in zip(params, pieces[1:]):
        if param == principal:
            built.append("%s")
            slots.append("principal")
        elif param == credential:
            built.append(credential_sql)
            slots += ["credential"] if credential_sql == "%s" else []
        else:
            built.append(_literal(param))
        built.append(piece)
    if slots.count("principal") != 1:
        raise ValueError("The share query's SQL does not name the principal once.")
    return "".join(built), slots


def _literal(value) -> str:
    """Return a constant of the share query (a level, a rank) as SQL: whole numbers and plain words only."""
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    if isinstance(value, str) and value.isalnum():
        return f"'{value}'"
    raise ValueError(f"Not a constant the share query is expected to hold: {value!r}")


def _best_share_statement(connection, *, by_team: bool) -> tuple[Statement, list[str]]:
    """Return _best_share_query as a prepared statement for connection (built on first use), and its slots."""
    key = (by_team, connection.alias, connection.vendor)
    found = _share_statements.get(key)
    if found is None:
        # Two threads may both build it the first time: the same value, so either may win.
        sql, slots = _best_share_sql(connection, by_team=by_team, credential_sql="%s")
        found = _share_statements[key] = (Statement.of(sql, connection), slots)
    return found


_share_statements: dict[tuple, tuple[Statement, list[str]]] = {}


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


def get_share_for(who, credential_pk, team_pk) -> tuple[Credential, CredentialShare]:
    """Return the credential credential_pk, which who must manage, and its share with team team_pk; else 404 (or 403)."""
    credential = get_credential_for(who, credential_pk, manage=True)
    share = CredentialShare.objects.select_related("team", "credential").filter(
        credential=credential, team_id=team_pk
    ).first()
    if share is None:
        raise Http404("The credential is not shared with that team.")
    return credential, share


def get_connection_for(user, pk) -> Connection:
    """Return user's data source or destination pk; anyone else's, or a team token's, is not found (404)."""
    connection = (Connection.objects.select_related("credential", "credential__owner").filter(pk=pk, owner=user).first()
                  if getattr(user, "pk", None) is not None else None)
    if connection is None:
        raise Http404("No such data source or destination.")
    return connection


def get_membership_in(team, pk) -> Membership:
    """Return the membership pk of team, with its person; 404 if team has none such."""
    membership = Membership.objects.select_related("team", "user").filter(team=team, pk=pk).first()
    if membership is None:
        raise Http404("No such member.")
    return membership


def memberships_of(user) -> QuerySet:
    """Return user's memberships with their team and its member count, by team name."""
    return (Membership.objects.filter(user=user).select_related("team")
            .annotate(member_count=Count("team__memberships", distinct=True)).order_by("team__name"))


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
