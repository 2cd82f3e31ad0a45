"""Two app servers on one PostgreSQL database and one Redis share every check budget."""
import os
import uuid
from contextlib import ExitStack, contextmanager

import pytest
import requests

from credentials_app.crypto import generate_key
from tests.credentials_app.server_support import app_server, check_a_key, set_up_site, sign_in

POSTGRES_URL = "postgres://postgres@127.0.0.1:5432"
# A Redis database of its own (not 0), emptied before and after.
REDIS_URL = "redis://127.0.0.1:6379/9"


def _reachable_or_skip():
    import psycopg
    import redis

    try:
        psycopg.connect(f"{POSTGRES_URL}/postgres", connect_timeout=2).close()
    except psycopg.OperationalError:
        pytest.skip("PostgreSQL is not reachable at 127.0.0.1:5432")
    try:
        redis.Redis.from_url(REDIS_URL, socket_timeout=2).ping()
    except redis.exceptions.ConnectionError:
        pytest.skip("Redis is not reachable at 127.0.0.1:6379")


@contextmanager
def _fresh_database():
    import psycopg

    name = f"two_servers_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(f"{POSTGRES_URL}/postgres", autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"{POSTGRES_URL}/{name}"
    finally:
        with psycopg.connect(f"{POSTGRES_URL}/postgres", autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextmanager
def _empty_redis():
    import redis

    client = redis.Redis.from_url(REDIS_URL)
    client.flushdb()
    try:
        yield
    finally:
        client.flushdb()


@pytest.mark.long
def test_a_budget_spent_on_one_app_server_is_spent_on_the_other(sandbox_server, tmp_path):
    """Two gunicorn servers sharing PostgreSQL and Redis refuse the check that goes over one budget."""
    _reachable_or_skip()
    with ExitStack() as stack:
        database_url = stack.enter_context(_fresh_database())
        stack.enter_context(_empty_redis())
        env = {
            **os.environ,
            "DATABASE_URL": database_url,
            "REDIS_URL": REDIS_URL,
            "SECRET_KEY": "two-servers-" + uuid.uuid4().hex,
            "CREDENTIALS_ENCRYPTION_KEYS": generate_key(),
            "VAR_DIR": str(tmp_path),
            "DEBUG": "false",
            "CHECK_BUDGET_PER_USER": "3",
            # A day-long window: five checks a second apart almost never straddle two (only across 00:00 UTC).
            "CHECK_BUDGET_WINDOW_SECONDS": "86400",
            "PROVIDER_SANDBOX_URL": sandbox_server.url,
            "PROVIDER_SANDBOX_ALLOWED": "true",
            "PROVIDER_SANDBOX_CA_BUNDLE": str(sandbox_server.ca_bundle),
            "DJANGO_SUPERUSER_USERNAME": "owner",
            "DJANGO_SUPERUSER_EMAIL": "owner@example.com",
            "DJANGO_SUPERUSER_PASSWORD": "pw-for-two-servers",
        }
        env.pop("CACHE_URL", None)
        set_up_site(env)
        first, _ = stack.enter_context(app_server(env))
        second, _ = stack.enter_context(app_server(env))
        session = requests.Session()
        sign_in(session, first, "owner", "pw-for-two-servers")

        answers = [check_a_key(session, url) for url in (first, first, second, second, first)]

    # Three checks anywhere spend the budget of three; the next is refused on either server.
    assert answers == [422, 422, 422, 429, 429]
