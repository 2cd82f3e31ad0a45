"""Custify: customer success data behind a Bearer key; can be a source or a destination."""
from connectors.base import Connector


class Custify(Connector):
    id = "custify"
    name = "Custify"
    description = "Customer success: companies, people and events."
    kinds = ("source", "destination")
    key_help = "In Custify, open Settings > Developers > API keys. The key is shown only once."
    base_urls = ("https://api.custify.com",)
    auth_header = "Authorization"
    auth_prefix = "Bearer "
    check_path = "/company/all"
    check_params = {"page": 1, "itemsPerPage": 1}
    expected_keys = ("companies",)
    # Custify documents 10 s when a 429 comes without Retry-After.
    default_retry_after = 10
    restricted_statuses = {
        403: "Custify accepted the key, but it may not read companies (403 Forbidden). Syncs that "
        "read companies will fail. Save it anyway only if that is what you intend.",
    }
    rejected_statuses = {
        401: "Custify rejected the key (401 Unauthorized). Copy it again from Settings > Developers: "
        "Custify shows a key only once, so you may need to create a new one.",
    }
