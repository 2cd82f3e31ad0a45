"""A sixth provider invented for the tests, in the three pieces the README's "Adding a provider" names.

`pytest -p tests.connectors.with_invented_provider` registers it before anything imports the
registry, so every suite parametrised over the providers runs for it too:
tests/connectors/test_new_provider.py runs the proxy, browser and API suites that way.
"""
from urllib.parse import urlsplit

from connectors import registry
from connectors.base import Choice, Connector, Setting
from connectors.sandbox import emulations
from connectors.sandbox.emulations import EMULATIONS, Reply, Request


# 1. The connector, declared as data.
class Acme(Connector):
    """A provider invented here: two regional hosts picked by a setting, a Bearer key."""

    id = "acme"
    name = "Acme Tickets"
    description = "Ticketing: a provider invented to prove a new one is covered."
    key_help = "In Acme, open Settings > API and copy the key."
    auth_header = "Authorization"
    auth_prefix = "Bearer "
    check_path = "/v2/items"
    check_params = {"limit": 1}
    expected_keys = ("items",)
    rejected_statuses = {401: "Acme rejected the key for {choice}. Copy it again from Settings > API."}
    settings = (
        Setting(
            name="region",
            label="Region",
            offered=(
                Choice("eu", "Europe", base_url="https://eu.api.acme.example"),
                Choice("us", "United States", base_url="https://us.api.acme.example"),
            ),
            default="eu",
        ),
    )


# 3. Its emulation, built from the sandbox's shared pieces.
def acme_emulation(request: Request) -> Reply:
    """Answer as Acme would document it."""
    if request.method not in ("GET", "HEAD") or request.path != "/v2/items":
        return Reply(404, {"message": "Not Found"})
    key = emulations.bearer(request)
    failure = emulations.failure_for(key, request)
    if failure:
        return failure
    if key not in emulations.ACCEPTED:
        return Reply(401, {"message": "Unauthorized"})
    return emulations.success(key, {"items": [{"id": 1}][: int(request.query.get("limit", 10))]})


def register() -> Acme:
    """2. Add Acme to the registry and its hosts to the sandbox, as its lines in those files would."""
    connector = Acme()
    registry.CONNECTORS = (*registry.CONNECTORS, connector)
    registry._BY_ID[connector.id] = connector
    for url in connector.base_urls:
        EMULATIONS[urlsplit(url).netloc] = acme_emulation
    return connector

