"""TIXY Connect API: a public and a private host, each with its own token type."""
from collections.abc import Mapping
from typing import Any

from connectors.base import Connector, Outcome, Setting, ValidationResult

PUBLIC = "public"
PRIVATE = "private"
PUBLIC_HOST = "https://public-api.tixyapp.com"
PRIVATE_HOST = "https://private-api.tixyapp.com"


class Tixy(Connector):
    id = "tixy"
    name = "TIXY"
    description = "Ticketing: events, tours, sales and statistics."
    key_label = "API Token"
    key_help = "In TIXY, create an API token of the type chosen below. It is shown only once."
    base_urls = (PUBLIC_HOST, PRIVATE_HOST)
    auth_header = "Authorization"
    auth_prefix = "Bearer "
    settings = (
        Setting(
            name="token_type",
            label="Token Type",
            choices=((PUBLIC, "Public API Token"), (PRIVATE, "Private API Token")),
            default=PUBLIC,
            help_text="Public and private tokens are different tokens, for different endpoints.",
        ),
    )
    # The token type decides the host and the cheap read that proves the token.
    checks = {
        PUBLIC: (PUBLIC_HOST, "/events", {"status": "published"}),
        PRIVATE: (PRIVATE_HOST, "/sales/terms", {}),
    }
    rejected_statuses = {
        401: "Invalid Token: make sure the whole token was copied.",
        403: "Access Denied: this looks like a public token; private endpoints need the Private API "
        "Token.",
    }

    def _check(self, options: Mapping[str, str]):
        return self.checks[self.settings[0].clean(options.get("token_type"))]

    def base_url(self, options: Mapping[str, str]) -> str:
        return self._check(options)[0]

    def check_url(self, options: Mapping[str, str]) -> str:
        host, path, _ = self._check(options)
        return host + path

    def check_query(self, options: Mapping[str, str]) -> dict[str, Any]:
        return dict(self._check(options)[2])

    def body_is_valid(self, data: Any) -> bool:
        # TIXY lists are bare JSON arrays; /sales/terms answers an object.
        return isinstance(data, (list, dict))

    def rejected(self, status: int, options: Mapping[str, str]) -> ValidationResult:
        if status == 403 and self.base_url(options) == PUBLIC_HOST:
            return ValidationResult(
                Outcome.REJECTED,
                'Access Denied: this looks like a private token; choose "Private API Token" as the '
                "Token Type, or paste the Public API Token.",
                status,
                field="token_type",
            )
        if status == 403:
            return ValidationResult(Outcome.REJECTED, self.rejected_statuses[status], status, field="token_type")
        return super().rejected(status, options)
