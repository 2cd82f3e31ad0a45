"""Two app servers on one PostgreSQL database and one Redis share every check budget."""
import os
import socket
import subprocess
import sys
import time
import uuid
from contextlib import ExitStack, contextmanager
from pathlib import Path

import pytest
import requests

from connectors.sandbox import keys
from credentials_app.crypto import generate_key

BASE_DIR = Path(__file__).resolve().parents[2]
POSTGRES_URL = "postgres://postgres@127.0.0.1:5432"
# A Redis database of its own (not 0), emptied before and after.
REDIS_URL = "redis://127.0.0.1:6379/9"
START_TIMEOUT = 30


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


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def _app_server(env: dict):
    """Run gunicorn on a free loopback port until the block ends; yield its base URL."""
    port = _free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "credentials_app.config.wsgi", "--bind", f"127.0.0.1:{port}",
         "--workers", "1", "--timeout", "30", "--no-control-socket"],
        cwd=BASE_DIR, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            try:
                requests.get(f"http://127.0.0.1:{port}/accounts/login/", timeout=2)
                break
            # A first answer slower than the probe's timeout (imports, on a loaded machine) is still starting.
            except (requests.ConnectionError, requests.Timeout):
                assert server.poll() is None, "the app server exited while starting"
                assert time.monotonic() < deadline, "the app server did not start in time"
                time.sleep(0.2)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def _manage(env, *args):
    subprocess.run([sys.executable, "manage.py", *args], cwd=BASE_DIR, env=env, check=True, timeout=120,
                   capture_output=True)


def _sign_in(session, base_url, username, password):
    session.get(f"{base_url}/accounts/login/", timeout=10)
    response = session.post(
        f"{base_url}/accounts/login/",
        {"username": username, "password": password, "csrfmiddlewaretoken": session.cookies["csrftoken"]},
        timeout=10, allow_redirects=False,
    )
    assert response.status_code == 302


def _check_a_key(session, base_url):
    return session.post(
        f"{base_url}/connect/source/humanitix/credentials/",
        {"name": "Probe", "key": keys.REJECTED, "creation_token": str(uuid.uuid4())},
        headers={"X-CSRFToken": session.cookies["csrftoken"], "Accept": "application/json"},
        timeout=30,
    ).status_code


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
        _manage(env, "migrate", "--noinput")
        _manage(env, "createsuperuser", "--noinput")
        first = stack.enter_context(_app_server(env))
        second = stack.enter_context(_app_server(env))
        session = requests.Session()
        _sign_in(session, first, "owner", "pw-for-two-servers")

        answers = [_check_a_key(session, url) for url in (first, first, second, second, first)]

    # Three checks anywhere spend the budget of three; the next is refused on either server.
    assert answers == [422, 422, 422, 429, 429]
