"""Fixtures of the connector tests: every registered provider, and checks sent to the sandbox."""
import pytest

from connectors.transport.check import HttpConfig, check_key
from connectors.registry import CONNECTORS


@pytest.fixture(params=CONNECTORS, ids=lambda connector: connector.id)
def connector(request):
    """Return each registered connector in turn: a new provider is covered the day it is registered."""
    return request.param


# Long enough to outlast the deadline tests/connectors/test_behaviour.py sets, far shorter than the
# sandbox's default, so the dripping-answer tests run quickly.
QUICK_TRICKLE_SECONDS = 0.8


@pytest.fixture
def sandbox_config(sandbox_server, monkeypatch):
    """Return an HttpConfig aimed at the sandbox, with a 1 s read timeout so "slow" is quick.

    The trickle key drips its answer over QUICK_TRICKLE_SECONDS while the test runs.
    """
    monkeypatch.setattr(sandbox_server.state, "trickle_seconds", QUICK_TRICKLE_SECONDS)
    sandbox_server.state.requests.clear()
    sandbox_server.state.targets.clear()
    sandbox_server.state.gzipped_sizes.clear()
    return HttpConfig(
        connect_timeout=2.0,
        read_timeout=1.0,
        sandbox_url=sandbox_server.url,
        sandbox_ca_bundle=sandbox_server.ca_bundle,
    )


@pytest.fixture
def check(sandbox_config):
    """Return a function that cleans key and options as the app does, then checks them."""

    def run(connector, key, options=None, config=None):
        return check_key(
            connector,
            connector.normalize_key(key),
            connector.clean_options(options or {}),
            config or sandbox_config,
        )

    return run
