"""Moshtix: a GraphQL API whose token is a query argument, answering HTTP 200 even on errors."""
import base64
import json
from collections.abc import Mapping
from datetime import datetime, timezone

from connectors.base import CheckRequest, Connector, Outcome, ProviderResponse, ValidationResult

# Anonymous queries succeed, so the check reads fields only an authenticated viewer has.
# The token travels as a GraphQL variable, never spliced into the query text.
VIEWER_QUERY = "query CheckToken($token: String!) { viewer(token: $token) { id username } }"
_WHERE = "Create a new key in the Moshtix Control Room (Account > API Keys > Add Key)."


class Moshtix(Connector):
    id = "moshtix"
    name = "Moshtix"
    description = "Ticketing: events, tickets and sales through GraphQL."
    key_label = "API Key"
    key_help = "In the Moshtix Control Room, open Account > API Keys > Add Key and copy the token."
    base_urls = ("https://api.moshtix.com/v1/graphql",)
    check_method = "POST"

    def build_request(self, key: str, options: Mapping[str, str]) -> CheckRequest:
        return CheckRequest(
            method="POST",
            url=self.base_urls[0],
            headers={"Accept": "application/json"},
            json={"query": VIEWER_QUERY, "variables": {"token": key}},
        )

    def precheck(self, key: str, options: Mapping[str, str]) -> ValidationResult | None:
        """Reject a JWT whose exp has passed without sending it anywhere."""
        expires = jwt_expiry(key)
        if expires is not None and expires <= datetime.now(timezone.utc):
            return ValidationResult(
                Outcome.REJECTED,
                f"This Moshtix token expired on {expires:%Y-%m-%d %H:%M} UTC. {_WHERE}",
            )
        return None

    def interpret(self, response: ProviderResponse, options: Mapping[str, str]) -> ValidationResult:
        if response.status != 200:
            return super().interpret(response, options)
        data = response.json()
        if not isinstance(data, dict):
            return self.unexpected_body(200)
        if data.get("errors"):
            return ValidationResult(
                Outcome.REJECTED,
                f"Moshtix refused the token: its GraphQL API answered with an error for the viewer. "
                f"Check that the whole token was copied, or {_WHERE[0].lower() + _WHERE[1:]}",
                200,
            )
        viewer = (data.get("data") or {}).get("viewer") if isinstance(data.get("data"), dict) else None
        if viewer is None:
            return ValidationResult(
                Outcome.REJECTED,
                f"Moshtix did not recognise the token (no viewer for it). {_WHERE}",
                200,
            )
        if isinstance(viewer, dict) and viewer.get("id"):
            return ValidationResult(Outcome.VERIFIED, "Moshtix accepted the token.", 200)
        return self.unexpected_body(200)


def jwt_expiry(token: str) -> datetime | None:
    """Return the exp of a JWT-shaped token (unverified), or None if it has none."""
    parts = token.split(".")
    if len(parts) != 3:
        return None
    try:
        padded = parts[1] + "=" * (-len(parts[1]) % 4)
        claims = json.loads(base64.urlsafe_b64decode(padded))
        return datetime.fromtimestamp(int(claims["exp"]), tz=timezone.utc)
    except (ValueError, KeyError, TypeError, OverflowError):
        return None
