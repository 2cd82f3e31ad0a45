"""API tokens: create one (shown once), authenticate a request with one, revoke them."""
import hashlib
import secrets
from datetime import timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.views.decorators.debug import sensitive_variables

from credentials_app import crypto, events
from credentials_app.models import ApiToken, Membership, Team
from credentials_app.names import clean_name
from credentials_app.prepared_reads import read_unique_joined

# Secret scanners (GitHub's, gitleaks) match on a fixed prefix; "cmk" = credential manager key.
TOKEN_PREFIX = "cmk_"
VISIBLE_CHARACTERS = 8
DEFAULT_EXPIRY_DAYS = 90
# Writing last_used_at on every request would turn each read into a write.
LAST_USED_RESOLUTION = timedelta(minutes=1)


@sensitive_variables()
def token_hash(raw_token: str) -> str:
    """Return the stored form of raw_token.

    A plain SHA-256 is enough here, unlike for passwords: the token is 256 random bits, so there
    is nothing to guess and no need for a slow, salted hash; a fast one lets every request be
    looked up by an indexed column.
    """
    return hashlib.sha256(raw_token.encode()).hexdigest()


def _clean_scopes(scopes) -> list[str]:
    scopes = sorted(set(scopes or ()))
    unknown = [scope for scope in scopes if scope not in ApiToken.Scope.values]
    if unknown or not scopes:
        raise ValidationError({"scopes": "Choose one or more scopes from the list."})
    return scopes


def _within(token: ApiToken, *, scopes: list[str], expires_at) -> None:
    """Raise ValidationError unless scopes and expires_at are no wider, nor later, than token's."""
    wider = [scope for scope in scopes if scope not in token.scopes]
    if wider:
        raise ValidationError({"scopes": f"The token you use does not hold {', '.join(wider)}: a new token "
                                         "may hold only scopes the one creating it holds."})
    if token.expires_at is not None and (expires_at is None or expires_at > token.expires_at):
        raise ValidationError({"expires_in_days": "A new token may not outlive the token you use, which expires "
                                                  f"{token.expires_at:%Y-%m-%d %H:%M} UTC."})


@sensitive_variables()
def token_create(
    *, creator, name: str, scopes, expires_in_days: int | None = DEFAULT_EXPIRY_DAYS, team: Team | None = None,
    within: ApiToken | None = None,
) -> tuple[ApiToken, str]:
    """Create a personal token for creator, or a team token for team; return it and the raw token. Audited.

    The raw token exists only in the return value: show it once. Only an admin of team may create
    a team token. expires_in_days None means the token never expires. A token created through
    another token (within) holds no scope it lacks and expires no later.
    """
    name = clean_name(name, field="name", what="token")
    scopes = _clean_scopes(scopes)
    if expires_in_days is not None and expires_in_days < 1:
        raise ValidationError({"expires_in_days": "Choose an expiry of at least one day, or never."})
    expires_at = timezone.now() + timedelta(days=expires_in_days) if expires_in_days else None
    if within is not None:
        _within(within, scopes=scopes, expires_at=expires_at)
    if team is not None and not Membership.objects.filter(
        team=team, user=creator, role=Membership.Role.ADMIN
    ).exists():
        raise PermissionDenied("Only an admin of this team can create its tokens.")
    raw_token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    with transaction.atomic():
        token = ApiToken.objects.create(
            name=name,
            user=None if team else creator,
            team=team,
            created_by=creator,
            prefix=raw_token[: len(TOKEN_PREFIX) + VISIBLE_CHARACTERS],
            token_hash=token_hash(raw_token),
            scopes=scopes,
            expires_at=expires_at,
        )
        events.token_created(token=token, actor=creator)
    return token, raw_token


@sensitive_variables()
def token_authenticate(raw_token: str) -> ApiToken | None:
    """Return the live token raw_token names, noting its use; None if unknown, revoked or expired.

    A personal token of a deactivated person is refused even before its revocation is stored.
    """
    if not raw_token or not raw_token.startswith(TOKEN_PREFIX):
        return None
    # Every API call, proxied call and secret read comes through here: one query, compiled once per process.
    token, person = read_unique_joined(ApiToken, "token_hash", token_hash(raw_token), "user")
    if token is not None and token.user_id is not None:
        if person is None:  # no such person: deleting one deletes its tokens, so never trust such a row
            return None
        token.user = person
    now = timezone.now()
    if token is None or not token.is_usable(now):
        return None
    if token.last_used_at is None or token.last_used_at < now - LAST_USED_RESOLUTION:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
    return token


def token_name_in_use(*, creator, name: str, team: Team | None = None) -> bool:
    """Return whether a live token of the same owner (creator, or team) already has this name.

    Two live tokens of one name can be told apart only by their first characters: worth a warning.
    """
    now = timezone.now()
    owned = ApiToken.objects.filter(team=team) if team else ApiToken.objects.filter(user=creator, team=None)
    return owned.filter(name__iexact=name.strip(), revoked_at__isnull=True).exclude(expires_at__lte=now).exists()


def token_revoke(*, token: ApiToken, actor=None) -> None:
    """Revoke token at once; it stays listed, marked revoked. Audited (actor None: the system)."""
    if token.revoked_at is None:
        with transaction.atomic():
            token.revoked_at = timezone.now()
            token.save(update_fields=["revoked_at"])
            events.token_revoked(token=token, actor=actor)


def tokens_revoke_for_user(*, user) -> int:
    """Revoke user's personal tokens (team tokens they created live on); return how many."""
    live = list(ApiToken.objects.filter(user=user, revoked_at__isnull=True))
    for token in live:
        token_revoke(token=token, actor=None)
    return len(live)


def token_seal_to_show(*, raw_token: str, user) -> str:
    """Return raw_token sealed for user, to keep (in the session) until it is shown once."""
    return crypto.encrypt(raw_token, associated_data=f"token-shown-once:{user.pk}")


def token_open_to_show(*, sealed: str, user) -> str | None:
    """Return the token token_seal_to_show sealed for user, or None if it no longer opens."""
    try:
        return crypto.decrypt(sealed, associated_data=f"token-shown-once:{user.pk}")
    except crypto.SecretUnavailable:
        return None
