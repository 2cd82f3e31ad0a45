"""Read-side queries for pages: what a user sees, already filtered by access."""
import operator
from dataclasses import dataclass
from datetime import timedelta
from functools import reduce

from django.conf import settings
from django.db.models import BooleanField, Case, Count, OuterRef, Q, QuerySet, Subquery, Value, When
from django.db.models.functions import Coalesce, Lower
from django.utils import timezone

from credentials_app import crypto
from credentials_app.access import credentials_usable_by
from credentials_app.models import AuditEvent, Connection, Credential, Membership


@dataclass(frozen=True)
class CredentialTile:
    credential: Credential
    origin: str  # "Yours" or "Shared by <user> via <team>"


def origin_label(user, credential: Credential, user_team_ids: set) -> str:
    """Return where credential comes from for user: "Yours" or "Shared by <owner> via <team>"."""
    if credential.owner_id == user.pk:
        return "Yours"
    teams = sorted(share.team.name for share in credential.shares.all() if share.team_id in user_team_ids)
    return f"Shared by {credential.owner.get_username()} via {', '.join(teams)}"


def credential_tiles(user, provider: str) -> list[CredentialTile]:
    """Return the tiles of provider's credentials that user may select, enabled ones only."""
    team_ids = user_team_ids(user)
    credentials = (
        credentials_usable_by(user)
        .filter(provider=provider, disabled_at__isnull=True)
        .select_related("owner")
        .prefetch_related("shares__team")
        .order_by("-created_at")
    )
    return [CredentialTile(credential, origin_label(user, credential, team_ids)) for credential in credentials]


def credential_tile(user, credential: Credential) -> CredentialTile:
    return CredentialTile(credential, origin_label(user, credential, user_team_ids(user)))


# --- Credentials management ---

CREDENTIALS_PER_PAGE = 50


def attention_reasons() -> dict[str, Q]:
    """Return why a credential needs attention, reason label → condition. The one place for the rule."""
    stale_before = timezone.now() - timedelta(days=settings.CREDENTIAL_STALE_AFTER_DAYS)
    return {
        "Rejected by the provider": Q(status=Credential.Status.REJECTED),
        "Never checked": Q(last_checked_at__isnull=True),
        f"Not checked for more than {settings.CREDENTIAL_STALE_AFTER_DAYS} days": Q(last_checked_at__lt=stale_before),
        # The key id is stored in its own column, so this needs no decryption.
        "Key can't be decrypted": ~Q(key_id__in=list(crypto.get_keyring().keys)),
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


def credential_list(user, filters: CredentialFilter) -> QuerySet:
    """Return the credentials user may use matching filters, annotated for the list, by name."""
    credentials = with_attention(credentials_usable_by(user))
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
    connection_counts = (
        Connection.objects.filter(credential=OuterRef("pk")).order_by().values("credential")
        .annotate(count=Count("pk")).values("count")
    )
    return (
        credentials.select_related("owner")
        .prefetch_related("shares__team")
        # A subquery per shown row, not a GROUP BY over every matching row: flat at 10,000 credentials.
        .annotate(connection_count=Coalesce(Subquery(connection_counts), 0))
        .order_by(Lower("name"), "pk")
    )


def user_team_ids(user) -> set:
    """Return the ids of the teams user belongs to."""
    return set(Membership.objects.filter(user=user).values_list("team_id", flat=True))


def credential_rows(user, credentials) -> list[CredentialTile]:
    """Return credentials (one page) with where each comes from for user."""
    team_ids = user_team_ids(user)
    return [CredentialTile(credential, origin_label(user, credential, team_ids)) for credential in credentials]


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
