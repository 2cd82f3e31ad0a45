"""Humanitix: events, orders, tickets and tags, read with an x-api-key."""
from connectors.base import Connector

_NEW_KEY_WARNING = "Generating a new Humanitix key invalidates the old one, so use the newest key."


class Humanitix(Connector):
    id = "humanitix"
    name = "Humanitix"
    description = "Ticketing: events, orders, tickets and tags."
    key_help = "In Humanitix, open Account > Advanced > Public API Key and copy the key."
    base_urls = ("https://api.humanitix.com",)
    auth_header = "x-api-key"
    check_path = "/v1/events"
    # page is required and starts at 1; pageSize=1 keeps the check cheap.
    check_params = {"page": 1, "pageSize": 1}
    expected_keys = ("events",)
    rejected_statuses = {
        401: "Humanitix rejected the key (Invalid API Key). Copy it again from Account > Advanced > "
        "Public API Key. " + _NEW_KEY_WARNING,
        # Humanitix answers 403 when it sees no usable key at all.
        403: "Humanitix refused the request as if no key had been sent. Copy the key again from "
        "Account > Advanced > Public API Key. " + _NEW_KEY_WARNING,
    }
