"""TIXY Connect API: a public and a private host, each with its own token type."""
from connectors.base import Choice, Connector, Setting

PUBLIC_HOST = "https://public-api.tixyapp.com"
PRIVATE_HOST = "https://private-api.tixyapp.com"
# The token type decides the host and the cheap read that proves the token; a 403 there means a
# token of the other type.
_PUBLIC_TOKEN = Choice(
    "public", "Public API Token", PUBLIC_HOST, "/events", {"status": "published"},
    rejected_statuses={403: 'Access Denied: this looks like a private token; choose "Private API Token" '
                            "as the Token Type, or paste the Public API Token."},
)
_PRIVATE_TOKEN = Choice(
    "private", "Private API Token", PRIVATE_HOST, "/sales/terms",
    rejected_statuses={403: "Access Denied: this looks like a public token; private endpoints need the "
                            "Private API Token."},
)


class Tixy(Connector):
    id = "tixy"
    name = "TIXY"
    description = "Ticketing: events, tours, sales and statistics."
    key_label = "API Token"
    key_help = "In TIXY, create an API token of the type chosen below. It is shown only once."
    auth_header = "Authorization"
    auth_prefix = "Bearer "
    # TIXY lists are bare JSON arrays; /sales/terms answers an object.
    body_types = (list, dict)
    rejected_statuses = {401: "Invalid Token: make sure the whole token was copied."}
    settings = (
        Setting(
            name="token_type",
            label="Token Type",
            offered=(_PUBLIC_TOKEN, _PRIVATE_TOKEN),
            default="public",
            help_text="Public and private tokens are different tokens, for different endpoints.",
        ),
    )
