"""A new provider, declared as data with its emulation, is covered by the shared suites unchanged."""
import inspect
import os
import re
import subprocess
import sys
import logging
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from connectors import registry
from connectors.sandbox.emulations import EMULATIONS
from tests.connectors import test_behaviour, test_registry
from tests.connectors.invented import Acme, acme_emulation


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


@pytest.mark.long
@pytest.mark.parametrize("module", [test_behaviour, test_registry], ids=lambda module: module.__name__)
def test_every_shared_test_passes_for_a_new_provider(
    module, acme, check, sandbox_config, sandbox_server, tmp_path_factory, caplog, awaited_read_timeout
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
                    "tmp_path": tmp_path_factory.mktemp("acme"), "debug_logs": caplog,
                    "awaited_read_timeout": awaited_read_timeout, **case,
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


# The suites a provider meets once registered: the proxy, the API and (below) the browser flow.
SHARED_SUITES = [
    "tests/connectors/test_proxy.py",
    "tests/connectors/test_behaviour.py",
    "tests/connectors/test_registry.py",
    "tests/credentials_app/test_proxy_endpoint.py",
    "tests/credentials_app/api/test_api_behaviour.py",
]


def _run_suites_with_acme(*suites: str, marker: str) -> str:
    """Run suites in a fresh pytest with Acme registered, selecting its cases; return pytest's output."""
    root = Path(__file__).resolve().parents[2]
    finished = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "tests.connectors.with_invented_provider", "-p", "no:cacheprovider",
         "-n", "0", "-q", "-m", marker, "-k", "acme", *suites],
        cwd=root, capture_output=True, text=True, timeout=600,
        env={**os.environ, "CHROMIUM_PATH": os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")},
    )
    assert finished.returncode == 0, finished.stdout[-3000:] + finished.stderr[-2000:]
    return finished.stdout


@pytest.mark.long
def test_the_proxy_and_api_suites_pass_for_a_sixth_provider_from_its_three_pieces():
    """Registered like the five, Acme runs every per-provider proxy, connector and API test, and passes."""
    output = _run_suites_with_acme(*SHARED_SUITES, marker="not browser")

    passed = int(re.search(r"(\d+) passed", output).group(1))
    assert passed >= 40, output[-2000:]
    assert " failed" not in output and " error" not in output


@pytest.mark.browser
def test_the_browser_flow_passes_for_a_sixth_provider_from_its_three_pieces():
    """In Chromium, Acme goes from a refused key to a verified credential and a data source."""
    output = _run_suites_with_acme("tests/browser/test_every_provider_flow.py", marker="browser")

    assert re.search(r"\b1 passed", output), output[-2000:]
