"""Moshtix: a GraphQL API whose token is a query argument, answering HTTP 200 even on errors.

Longer than the other declarations: its protocol needs code (the token in the body, errors in a 200,
a JWT whose expiry can be read without asking).
"""
import base64
import json
from collections.abc import Mapping
from datetime import datetime, timezone
from typing import Any

from connectors.base import Connector, Outcome, ValidationResult

# Anonymous queries succeed, so the check reads fields only an authenticated viewer has.
# The token travels as a GraphQL variable, never spliced into the query text.
VIEWER_QUERY = "query CheckToken($token: String!) { viewer(token: $token) { id username } }"
_WHERE = "Create a new key in the Moshtix Control Room (Account > API Keys > Add Key)."


class Moshtix(Connector):
    id = "moshtix"
    name = "Moshtix"
    description = "Ticketing: events, tickets and sales through GraphQL."
    key_help = "In the Moshtix Control Room, open Account > API Keys > Add Key and copy the token."
    base_urls = ("https://api.moshtix.com",)
    check_method = "POST"
    check_path = "/v1/graphql"
    # Moshtix takes the token in the GraphQL request, not in a header.
    key_in_body = True
    # Moshtix answers every call with HTTP 200; a dead token shows only in the errors it carries.
    invalid_key_statuses = (200,)
    invalid_key_marker = b"Access denied. Invalid token"

    def check_body(self, options: Mapping[str, str]) -> dict[str, Any]:
        """Return the viewer query; inject_key adds the token as its variable."""
        return {"query": VIEWER_QUERY}

    def inject_key(self, key: str, headers: dict[str, str], body: dict[str, Any] | None) -> dict[str, Any]:
        """Return the GraphQL payload with the key as the variable token; headers stay as they are.

        For a proxied call this is the caller's JSON body: a client writes viewer(token: $token) and
        never holds the token. A token it sent is replaced.
        """
        payload = body or {}
        variables = payload.get("variables")
        return {**payload, "variables": {**(variables if isinstance(variables, dict) else {}), "token": key}}

    def key_expiry(self, key: str) -> datetime | None:
        """Return the token's exp: Moshtix's long-lasting tokens are JWTs."""
        return jwt_expiry(key)

    def precheck(self, key: str, options: Mapping[str, str]) -> ValidationResult | None:
        """Reject a JWT whose exp has passed without sending it anywhere."""
        expires = self.key_expiry(key)
        if expires is not None and expires <= datetime.now(timezone.utc):
            return ValidationResult(
                Outcome.REJECTED,
                f"This Moshtix token expired on {expires:%Y-%m-%d %H:%M} UTC. {_WHERE}",
            )
        return None

    def interpret_body(self, data: Any, options: Mapping[str, str], status: int) -> ValidationResult:
        # Moshtix answers HTTP 200 even on errors: the body alone says whether the token works.
        if not isinstance(data, dict):
            return self.unexpected_body(status)
        if data.get("errors"):
            return ValidationResult(
                Outcome.REJECTED,
                "Moshtix refused the token: its GraphQL API answered with an error for the viewer. "
                f"Check that the whole token was copied, or {_WHERE[0].lower()}{_WHERE[1:]}",
                status,
            )
        answer = data.get("data")
        if not isinstance(answer, dict) or "viewer" not in answer:
            return self.unexpected_body(status)
        viewer = answer["viewer"]
        if viewer is None:
            return ValidationResult(
                Outcome.REJECTED, f"Moshtix did not recognise the token (no viewer for it). {_WHERE}", status
            )
        if isinstance(viewer, dict) and viewer.get("id"):
            return ValidationResult(Outcome.VERIFIED, "Moshtix accepted the token.", status)
        return self.unexpected_body(status)


def jwt_expiry(token: str) -> datetime | None:
    """Return the exp of a JWT-shaped token (unverified), or None if it has none."""
    parts = token.split(".")
    if len(parts) != 3:
        return None
    try:
        # JWT segments are unpadded base64url; the payload is a JSON object of claims.
        padded = parts[1] + "=" * (-len(parts[1]) % 4)
        claims = json.loads(base64.urlsafe_b64decode(padded))
        return datetime.fromtimestamp(int(claims["exp"]), tz=timezone.utc)
    except (ValueError, KeyError, TypeError, OverflowError, RecursionError):
        # Not a readable JWT (RecursionError: JSON nested past what the decoder follows): Moshtix
        # itself judges the token, as it does any token that is not a JWT.
        return None
