"""Read-side queries for pages: what a user sees, already filtered by access."""
from dataclasses import dataclass

from credentials_app.access import credentials_usable_by
from credentials_app.models import Credential, Membership


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
    team_ids = set(Membership.objects.filter(user=user).values_list("team_id", flat=True))
    credentials = (
        credentials_usable_by(user)
        .filter(provider=provider, disabled_at__isnull=True)
        .select_related("owner")
        .prefetch_related("shares__team")
        .order_by("-created_at")
    )
    return [CredentialTile(credential, origin_label(user, credential, team_ids)) for credential in credentials]


def credential_tile(user, credential: Credential) -> CredentialTile:
    team_ids = set(Membership.objects.filter(user=user).values_list("team_id", flat=True))
    return CredentialTile(credential, origin_label(user, credential, team_ids))
