"""A new provider, declared as data with its emulation, is covered by the shared suites unchanged."""
import inspect
import logging
from urllib.parse import urlsplit

import pytest

from connectors import registry
from connectors.base import Choice, Connector, Setting
from connectors.sandbox import emulations
from connectors.sandbox.emulations import EMULATIONS, Reply, Request
from tests.connectors import test_behaviour, test_registry


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


def acme_emulation(request: Request) -> Reply:
    """Answer as Acme would document it, built from the sandbox's shared pieces."""
    if request.method != "GET" or request.path != "/v2/items":
        return Reply(404, {"message": "Not Found"})
    key = emulations.bearer(request)
    failure = emulations.failure_for(key, request)
    if failure:
        return failure
    if key not in emulations.ACCEPTED:
        return Reply(401, {"message": "Unauthorized"})
    return emulations.success(key, {"items": [{"id": 1}][: int(request.query.get("limit", 10))]})


@pytest.fixture
def acme(monkeypatch):
    """Register Acme as a real provider is: its line in the registry and an emulation per host."""
    connector = Acme()
    monkeypatch.setattr(registry, "CONNECTORS", (*registry.CONNECTORS, connector))
    monkeypatch.setitem(registry._BY_ID, connector.id, connector)
    for url in connector.base_urls:
        monkeypatch.setitem(EMULATIONS, urlsplit(url).netloc, acme_emulation)
    return connector


def _cases(function):
    """Yield the keyword arguments of each parametrised case of a test function ({} if it has none)."""
    cases = [{}]
    for mark in getattr(function, "pytestmark", []):
        if mark.name == "parametrize":
            names, values = mark.args[:2]
            names = [name.strip() for name in names.split(",")] if isinstance(names, str) else list(names)
            cases = [
                {**case, **dict(zip(names, value if len(names) > 1 else (value,)))}
                for case in cases
                for value in values
            ]
    return cases


@pytest.mark.parametrize("module", [test_behaviour, test_registry], ids=lambda module: module.__name__)
def test_every_shared_test_passes_for_a_new_provider(
    module, acme, check, sandbox_config, sandbox_server, tmp_path_factory, caplog
):
    """Each shared test that takes `connector` runs, with every case, for Acme and passes."""
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.DEBUG, logger="urllib3")
    shared = [
        function
        for name, function in inspect.getmembers(module, inspect.isfunction)
        if name.startswith("test_") and "connector" in inspect.signature(function).parameters
    ]
    assert shared
    for function in shared:
        for case in _cases(function):
            with pytest.MonkeyPatch.context() as monkeypatch:
                fixtures = {
                    "connector": acme, "check": check, "sandbox_config": sandbox_config,
                    "sandbox_server": sandbox_server, "monkeypatch": monkeypatch,
                    "tmp_path": tmp_path_factory.mktemp("acme"), "debug_logs": caplog, **case,
                }
                wanted = inspect.signature(function).parameters
                missing = set(wanted) - set(fixtures)
                assert not missing, f"{function.__name__} needs {missing}: provide them in this test"
                for recorded in (sandbox_server.state.requests, sandbox_server.state.targets,
                                 sandbox_server.state.gzipped_sizes):
                    recorded.clear()
                caplog.clear()
                function(**{name: fixtures[name] for name in wanted})


def test_a_new_provider_without_an_emulation_fails_conformance_saying_what_to_add():
    """Registered without its emulation, a provider fails conformance with a message naming the fix."""
    with pytest.raises(AssertionError) as failure:
        test_registry.test_every_documented_host_has_a_sandbox_emulation(Acme())

    assert str(failure.value).startswith(
        "Provider Acme Tickets: host eu.api.acme.example has no emulation in connectors/sandbox/emulations.py; add one"
    )


def test_a_new_provider_is_declared_in_under_forty_lines():
    """The data declaration above is a whole provider: the base class does the rest."""
    lines, _ = inspect.getsourcelines(Acme)

    assert len(lines) <= 40
    assert Acme.base_urls == ("https://eu.api.acme.example", "https://us.api.acme.example")
