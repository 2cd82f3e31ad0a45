"""Helpers for the machine-use tests: API tokens in one line, and the keys a scan must never find."""
from connectors.sandbox import keys
from credentials_app.models import ApiToken
from credentials_app.services.tokens import token_create

USE = ApiToken.Scope.USE
READ_SECRET = ApiToken.Scope.READ_SECRET
READ = ApiToken.Scope.READ
# Every key a sandbox credential in these tests holds: none may appear in an answer, a header or a log.
SCANNED_KEYS = [keys.VALID, keys.REJECTED, keys.SERVER_ERROR, keys.REDIRECT, keys.SLOW]


def make_token(user, *scopes, team=None, name=None) -> tuple[ApiToken, str]:
    """Create a token for user (or team, which user must administer); return it and the raw token."""
    return token_create(creator=user, name=name or f"token of {team or user}", scopes=scopes or [USE], team=team)


def leaked_keys(*texts: str) -> list[str]:
    """Return the scanned keys found in any of texts."""
    return [key for key in SCANNED_KEYS for text in texts if key in text]
