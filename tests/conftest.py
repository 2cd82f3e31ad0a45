"""Fixtures shared by every test: a fresh keyring, a fast password hasher, the provider sandbox,
and factories for users, signed-in clients, credentials, teams, shares and connections."""
import itertools
import time

import pytest

from connectors.sandbox.server import SandboxServer
from credentials_app.crypto import generate_key


def pytest_collection_modifyitems(items):
    """Run the tests marked `long` first, so their waits on servers and deadlines overlap the quick tests."""
    # Ahead of pytest-django's order (plain database tests before transactional ones): a transactional
    # test's flush removes nothing the others need, as no migration stores data.
    items.sort(key=lambda item: item.get_closest_marker("long") is None)


@pytest.fixture(autouse=True)
def encryption_keys(settings):
    """Give every test its own keyring; return the keys, primary first."""
    settings.CREDENTIALS_ENCRYPTION_KEYS = [generate_key()]
    return settings.CREDENTIALS_ENCRYPTION_KEYS


@pytest.fixture(autouse=True)
def fast_password_hasher(settings):
    """Hash test passwords with MD5: the production hasher spends a quarter second on each one."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def static_files_found_when_asked(settings):
    """Find static files per request: otherwise every test client's middleware lists all of them first."""
    settings.WHITENOISE_AUTOREFRESH = True


@pytest.fixture(autouse=True)
def usage_counted_at_once(settings):
    """Write each proxied call's count as the call ends, so a test reads it at once."""
    settings.PROXY_USAGE_FLUSH_SECONDS = 0


@pytest.fixture(autouse=True)
def empty_cache():
    """Start every test with no spent budgets and no failed sign-ins."""
    from django.core.cache import cache

    cache.clear()


class SteadyClock:
    """The counting windows' clock, held still mid-window; advance() moves it on."""

    def __init__(self):
        # Half a minute into a minute is mid-window for a minute's window and far from the end of
        # longer ones, so a test never sees its budget restored by a window ending while it runs.
        self.now = time.time() // 3600 * 3600 + 1830.5

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture(autouse=True)
def steady_clock(monkeypatch):
    """Hold the clock of check budgets and proxy rate limits still; return it, to move it on."""
    from credentials_app import counting_windows

    clock = SteadyClock()
    monkeypatch.setattr(counting_windows, "clock", clock)
    return clock


@pytest.fixture(scope="session")
def sandbox_server(tmp_path_factory):
    """Start the HTTPS provider emulations on loopback once per test session."""
    server = SandboxServer(cert_dir=tmp_path_factory.mktemp("sandbox-tls")).start()
    server.state.slow_seconds = 2.0
    yield server
    server.stop()


@pytest.fixture
def awaited_read_timeout():
    """Return the read timeout, in seconds, of a test that waits for one to pass.

    The sandbox's slow key answers only after slow_seconds (2 s), so any shorter timeout is reached,
    and a short one keeps the test from waiting longer than it must. Tests that expect an answer keep
    the sandbox fixture's 1 s, which a loaded machine still meets.
    """
    return 0.3


@pytest.fixture
def sandbox(settings, sandbox_server):
    """Point the app's checks at the sandbox, with a 1 s read timeout so "slow" is quick to test."""
    settings.PROVIDER_SANDBOX_URL = sandbox_server.url
    settings.PROVIDER_SANDBOX_ALLOWED = True
    settings.PROVIDER_SANDBOX_CA_BUNDLE = sandbox_server.ca_bundle
    settings.CONNECTOR_READ_TIMEOUT = 1.0
    sandbox_server.state.requests.clear()
    sandbox_server.state.gzipped_sizes.clear()
    sandbox_server.state.targets.clear()
    return sandbox_server


_sequence = itertools.count(1)


@pytest.fixture
def user_factory(db, django_user_model):
    """Return a function that creates a user with password "pw-for-tests-1"."""

    def create(username=None, **extra):
        username = username or f"user{next(_sequence)}"
        return django_user_model.objects.create_user(
            username=username, email=f"{username}@example.com", password="pw-for-tests-1", **extra
        )

    return create


@pytest.fixture
def credential_factory(db, user_factory):
    """Return a function that stores a credential directly, without a provider check."""
    from credentials_app.models import Credential

    def create(owner=None, provider="humanitix", name=None, key="sandbox_key_valid", options=None, **extra):
        credential = Credential(
            owner=owner or user_factory(),
            provider=provider,
            name=name or f"Credential {next(_sequence)}",
            options=options or {},
            status=extra.pop("status", Credential.Status.VERIFIED),
            **extra,
        )
        credential.set_key(key)
        credential.save()
        return credential

    return create


@pytest.fixture
def sign_in(client, user_factory):
    """Return a function that signs the test client in as user (a new one made from extra if
    omitted) and returns the user."""

    def sign_in_as(user=None, **extra):
        user = user or user_factory(**extra)
        client.force_login(user)
        return user

    return sign_in_as


@pytest.fixture
def team_factory(db):
    """Return a function that creates a team with the given admins and members."""
    from credentials_app.models import Membership, Team

    def create(name=None, *, admins=(), members=()):
        team = Team.objects.create(name=name or f"Team {next(_sequence)}")
        for user in admins:
            Membership.objects.create(team=team, user=user, role=Membership.Role.ADMIN)
        for user in members:
            Membership.objects.create(team=team, user=user, role=Membership.Role.MEMBER)
        return team

    return create


@pytest.fixture
def share_factory(db):
    """Return a function that shares a credential with a team at level, as the services store it."""
    from credentials_app.models import CredentialShare

    def create(credential, team, level=CredentialShare.Level.USE, shared_by=None):
        return CredentialShare.objects.create(
            credential=credential, team=team, level=level, shared_by=shared_by or credential.owner
        )

    return create


@pytest.fixture
def connection_factory(db):
    """Return a function that stores a data source (or destination) using credential, without a check."""
    from credentials_app.models import Connection

    def create(credential, name=None, owner=None, kind=Connection.Kind.SOURCE):
        return Connection.objects.create(
            owner=owner or credential.owner,
            kind=kind,
            provider=credential.provider,
            name=name or f"Connection {next(_sequence)}",
            credential=credential,
        )

    return create
