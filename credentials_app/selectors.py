"""Read-side queries for pages: what a user sees, already filtered by access."""
import operator
from dataclasses import dataclass
from datetime import timedelta
from functools import reduce

from django.conf import settings
from django.db.models import BooleanField, Case, Count, F, Prefetch, Q, QuerySet, Value, When, prefetch_related_objects
from django.db.models.functions import Lower
from django.utils import timezone

from credentials_app import crypto
from credentials_app.access import credentials_usable_by
from credentials_app.models import AuditEvent, Connection, Credential, CredentialShare, Membership


@dataclass(frozen=True)
class CredentialTile:
    credential: Credential
    origin: str  # "Yours" or "Shared by <user> via <team>"
    selected: bool = False


def origin_label(user, credential: Credential, user_team_ids: set) -> str:
    """Return where credential comes from for user: "Yours" or "Shared by <owner> via <team>"."""
    if credential.owner_id == user.pk:
        return "Yours"
    teams = sorted(share.team.name for share in credential.shares.all() if share.team_id in user_team_ids)
    return f"Shared by {credential.owner.get_username()} via {', '.join(teams)}"


TILES_SHOWN = 24
# What "recently used" looks back on: the user's latest data sources and destinations of the provider.
RECENT_CONNECTIONS = 50


def _matching(query: str) -> Q:
    """Return the condition of a tile search: name or description holds query."""
    query = query.strip()
    return Q(name__icontains=query) | Q(description__icontains=query) if query else Q()


def selectable_credentials(user, provider: str) -> QuerySet:
    """Return the credentials of provider user may pick: enabled, and with a key that decrypts."""
    return (
        credentials_usable_by(user)
        .filter(provider=provider, disabled_at__isnull=True, key_id__in=list(crypto.get_keyring().keys))
        .exclude(status=Credential.Status.CANT_DECRYPT)
    )


def _recently_used_ids(user, provider: str) -> list:
    """Return the credentials user's latest connections of provider use, most recent first."""
    ids = (
        Connection.objects.filter(owner=user, provider=provider)
        .order_by("-created_at")
        .values_list("credential_id", flat=True)[:RECENT_CONNECTIONS]
    )
    return list(dict.fromkeys(ids))


def credential_tiles(
    user, provider: str, *, query: str = "", limit: int | None = None, preselect_verified: bool = False
) -> list[CredentialTile]:
    """Return the tiles of provider's credentials that user may select, enabled ones only.

    Most relevant first: those user's data sources used most recently, then verified ones, then
    the others, newest first. query narrows to names and descriptions holding it; limit caps how
    many; with preselect_verified, a verified credential comes selected (pass it when only one is
    verified). Each group is read up to limit along an index, so the cost does not grow with the
    number of credentials.
    """
    team_ids = user_team_ids(user)
    selectable = selectable_credentials(user, provider).filter(_matching(query))
    recent = _recently_used_ids(user, provider)
    groups = (
        selectable.filter(pk__in=recent),
        selectable.filter(status=Credential.Status.VERIFIED).order_by("-created_at", "-pk"),
        selectable.exclude(status=Credential.Status.VERIFIED).order_by("-created_at", "-pk"),
    )
    pks = list(dict.fromkeys(pk for group in groups for pk in group.values_list("pk", flat=True)[: limit or None]))
    pks.sort(key=lambda pk: recent.index(pk) if pk in recent else len(recent))  # stable: keeps the groups' order
    pks = pks[:limit]
    credentials = Credential.objects.filter(pk__in=pks).select_related("owner").prefetch_related(
        _shares_of_teams(team_ids)
    )
    by_pk = {credential.pk: credential for credential in credentials}
    return [
        CredentialTile(
            by_pk[pk], origin_label(user, by_pk[pk], team_ids),
            selected=preselect_verified and by_pk[pk].status == Credential.Status.VERIFIED,
        )
        for pk in pks
        if pk in by_pk
    ]


def credential_tile_counts(user, provider: str, *, query: str = "", up_to: int) -> tuple[int, bool]:
    """Return how many selectable credentials match query, counted up to up_to + 1, and whether
    exactly one selectable credential is verified; each count stops early, so its cost stays flat."""
    selectable = selectable_credentials(user, provider)
    matching = selectable.filter(_matching(query)).order_by().values("pk")[: up_to + 1].count()
    verified = selectable.filter(status=Credential.Status.VERIFIED).order_by().values("pk")[:2].count()
    return matching, verified == 1


def credential_tile(user, credential: Credential) -> CredentialTile:
    return CredentialTile(credential, origin_label(user, credential, user_team_ids(user)))


# --- Credentials management ---

# A screenful: the list's cost then stays the same from ten credentials to ten thousand.
CREDENTIALS_PER_PAGE = 25


def attention_reasons() -> dict[str, Q]:
    """Return why a credential needs attention, reason label → condition. The one place for the rule."""
    stale_before = timezone.now() - timedelta(days=settings.CREDENTIAL_STALE_AFTER_DAYS)
    return {
        "Rejected by the provider": Q(status=Credential.Status.REJECTED),
        # Saved unchecked, its last_checked_at is the failed attempt, from before it was created.
        "Saved without checking and never checked since": Q(
            status=Credential.Status.COULD_NOT_CHECK, last_checked_at__lte=F("created_at")
        ),
        "The last check could not be done": Q(status=Credential.Status.COULD_NOT_CHECK)
        & (Q(last_checked_at__gt=F("created_at")) | Q(last_checked_at__isnull=True)),
        "Never checked": Q(last_checked_at__isnull=True),
        f"Not checked for more than {settings.CREDENTIAL_STALE_AFTER_DAYS} days": Q(last_checked_at__lt=stale_before),
        # The key id is stored in its own column, so this needs no decryption.
        "Key can't be decrypted": ~Q(key_id__in=list(crypto.get_keyring().keys))
        | Q(status=Credential.Status.CANT_DECRYPT),
    }


def needs_attention_q() -> Q:
    """Return the condition matching credentials that need attention."""
    return reduce(operator.or_, attention_reasons().values())


def with_attention(queryset: QuerySet) -> QuerySet:
    """Annotate needs_attention (bool) and attention_flags (one bool per reason, in order)."""
    reasons = attention_reasons()
    flags = {
        f"_attention_{position}": Case(When(condition, then=Value(True)), default=Value(False), output_field=BooleanField())
        for position, condition in enumerate(reasons.values())
    }
    return queryset.annotate(
        needs_attention=Case(When(needs_attention_q(), then=Value(True)), default=Value(False), output_field=BooleanField()),
        **flags,
    )


def attention_labels(credential: Credential) -> list[str]:
    """Return the reasons a credential annotated by with_attention needs attention."""
    return [
        label for position, label in enumerate(attention_reasons())
        if getattr(credential, f"_attention_{position}", False)
    ]


@dataclass(frozen=True)
class CredentialFilter:
    """The list filters: provider, status ("disabled" too), team, needs attention, search text."""

    DISABLED = "disabled"

    provider: str = ""
    status: str = ""
    team: object = None
    needs_attention: bool = False
    query: str = ""


def credentials_matching(user, filters: CredentialFilter) -> QuerySet:
    """Return the credentials user (a person or a token) may use matching filters, unordered."""
    credentials = credentials_usable_by(user)
    if filters.provider:
        credentials = credentials.filter(provider=filters.provider)
    if filters.status == CredentialFilter.DISABLED:
        credentials = credentials.filter(disabled_at__isnull=False)
    elif filters.status:
        credentials = credentials.filter(status=filters.status, disabled_at__isnull=True)
    if filters.team is not None:
        credentials = credentials.filter(shares__team=filters.team)
    if filters.needs_attention:
        credentials = credentials.filter(needs_attention_q())
    query = filters.query.strip()
    if query:
        credentials = credentials.filter(Q(name__icontains=query) | Q(description__icontains=query))
    return credentials


def credential_list(user, filters: CredentialFilter) -> QuerySet:
    """Return the pks of the credentials user may use matching filters, by name.

    Only pks, so counting and paging stay a plain indexed scan; credential_rows annotates one page.
    """
    return credentials_matching(user, filters).order_by(Lower("name"), "pk").values_list("pk", flat=True)


def credentials_for_rows(pks) -> dict:
    """Return the credentials pks by pk, annotated for a list: attention flags, owner, connection count."""
    credentials = (
        with_attention(Credential.objects.filter(pk__in=list(pks)))
        .select_related("owner")
        .annotate(connection_count=Count("connections"))
    )
    return {credential.pk: credential for credential in credentials}


def user_team_ids(user) -> set:
    """Return the ids of the teams user belongs to."""
    return set(Membership.objects.filter(user=user).values_list("team_id", flat=True))


def credential_rows(user, pks) -> list[CredentialTile]:
    """Return the credentials pks (one page), in that order, annotated for the list, with where each comes from."""
    pks = list(pks)
    team_ids = user_team_ids(user)
    by_pk = credentials_for_rows(pks)
    prefetch_related_objects(list(by_pk.values()), _shares_of_teams(team_ids))
    return [CredentialTile(by_pk[pk], origin_label(user, by_pk[pk], team_ids)) for pk in pks if pk in by_pk]


def _shares_of_teams(team_ids) -> Prefetch:
    """Return a prefetch of only the shares origin_label reads: those with the user's teams."""
    return Prefetch("shares", queryset=CredentialShare.objects.filter(team_id__in=team_ids).select_related("team"))


def credential_annotated(credential: Credential) -> Credential:
    """Return credential again, annotated with its attention flags."""
    return with_attention(Credential.objects.filter(pk=credential.pk)).select_related("owner").get()


def credential_connections(credential: Credential) -> QuerySet:
    """Return the data sources and destinations that use credential."""
    return credential.connections.select_related("owner").order_by("kind", "name")


def credential_replacements(user, credential: Credential) -> QuerySet:
    """Return the enabled credentials of credential's provider that may take over its connections.

    Each must be usable by user and by every owner of a connection that would move to it, so a
    move never hands anyone a credential that was not shared with them.
    """
    candidates = credentials_usable_by(user)
    owners = {connection.owner for connection in credential.connections.select_related("owner")}
    for owner in owners:
        candidates = candidates.filter(pk__in=credentials_usable_by(owner).values("pk"))
    return (
        candidates
        .filter(provider=credential.provider, disabled_at__isnull=True)
        .exclude(pk=credential.pk)
        .select_related("owner")
        .order_by(Lower("name"))
    )


def credential_events(credential: Credential) -> QuerySet:
    """Return credential's audit history, newest first, with the master-key rotations it lived through.

    A rotation is recorded once for all credentials, not once per row, so it stays fast at scale.
    """
    rotations = Q(
        credential__isnull=True,
        action=AuditEvent.Action.MASTER_KEY_ROTATED,
        created_at__gte=credential.created_at,
    )
    return AuditEvent.objects.filter(Q(credential=credential) | rotations).order_by("-created_at", "-id")


# --- Data sources and destinations ---


def connection_credential_choices(connection: Connection) -> QuerySet:
    """Return the credentials connection could move to: its provider's, enabled, usable by its owner."""
    return (
        credentials_usable_by(connection.owner)
        .filter(provider=connection.provider, disabled_at__isnull=True)
        .exclude(pk=connection.credential_id)
        .select_related("owner")
        .order_by(Lower("name"), "pk")
    )


def connection_name_suggestion(user, *, provider_name: str, provider: str, kind: str, kind_label: str) -> str:
    """Return a free name for user's next connection of this provider and kind, e.g. "Custify data source 2"."""
    taken = {
        name.lower() for name in Connection.objects.filter(owner=user, provider=provider, kind=kind)
        .values_list("name", flat=True)
    }
    number = len(taken) + 1
    while f"{provider_name} {kind_label} {number}".lower() in taken:
        number += 1
    return f"{provider_name} {kind_label} {number}"
