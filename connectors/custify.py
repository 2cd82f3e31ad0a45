"""Custify: customer success data behind a Bearer key; can be a source or a destination."""
from collections.abc import Mapping

from connectors.base import Connector, Outcome, ProviderResponse, ValidationResult


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
    rejected_statuses = {
        401: "Custify rejected the key (401 Unauthorized). Copy it again from Settings > Developers: "
        "Custify shows a key only once, so you may need to create a new one.",
    }

    def interpret(self, response: ProviderResponse, options: Mapping[str, str]) -> ValidationResult:
        if response.status == 403:
            return ValidationResult(
                Outcome.RESTRICTED,
                "Custify accepted the key, but it may not read companies (403 Forbidden). Syncs that "
                "read companies will fail. Save it anyway only if that is what you intend.",
                403,
            )
        return super().interpret(response, options)
