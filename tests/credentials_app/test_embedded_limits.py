"""`make run` as a user runs it (its gunicorn processes, SQLite, no Redis) keeps the check budget and the proxy limit."""
import itertools
import os

import pytest
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests

from connectors.registry import CONNECTORS, get_connector
from credentials_app.crypto import generate_key
from tests.connectors.reads import real_read
from tests.credentials_app.server_support import MAKE_RUN_SERVER, app_server, check_a_key, manage, sign_in

# The README's defaults, which the server below runs with.
CHECK_BUDGET_PER_USER = 20
PROXY_RATE_LIMIT_PER_MINUTE = 600
# Seconds a burst of requests may take: it starts only with at least this much of a minute's window left.
BURST_SECONDS = 40

CREATE_PIPELINE = """
from django.contrib.auth import get_user_model
from credentials_app.models import Credential
from credentials_app.services.tokens import token_create
owner = get_user_model().objects.create_user("pipeline-owner", password="pw-for-embedded-limits")
credential = Credential(owner=owner, provider="humanitix", name="Events", options={}, status="verified")
credential.set_key("sandbox_key_valid")
credential.save()
_, raw = token_create(creator=owner, name="pipeline", scopes=["credentials:use"])
print(credential.pk, raw)
"""


def _worker_processes(master_pid: int) -> int:
    """Return how many processes master_pid started (gunicorn's workers)."""
    children = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            ppid = int(stat.read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        children += ppid == master_pid
    return children


def _at_the_start_of_a_window():
    """Wait, if need be, until at least BURST_SECONDS of the current minute remain (windows start on the minute)."""
    left = 60 - time.time() % 60
    if left < BURST_SECONDS:
        time.sleep(left + 0.2)


def test_make_run_shares_the_check_budget_and_the_proxy_limit_across_its_processes(sandbox_server, tmp_path):
    """With no Redis, the 21st check of a minute and the 601st proxied call of a minute are refused, in every process."""
    env = {
        **{name: value for name, value in os.environ.items()
           if not name.startswith(("CHECK_BUDGET_", "PROXY_", "WEB_CONCURRENCY", "GUNICORN_"))
           and name not in ("REDIS_URL", "CACHE_URL", "DATABASE_URL")},
        "SECRET_KEY": "embedded-" + uuid.uuid4().hex,
        "CREDENTIALS_ENCRYPTION_KEYS": generate_key(),
        "VAR_DIR": str(tmp_path),
        "DEBUG": "false",
        "PROVIDER_SANDBOX_URL": sandbox_server.url,
        "PROVIDER_SANDBOX_ALLOWED": "true",
        "PROVIDER_SANDBOX_CA_BUNDLE": str(sandbox_server.ca_bundle),
        "DJANGO_SUPERUSER_USERNAME": "owner",
        "DJANGO_SUPERUSER_EMAIL": "owner@example.com",
        "DJANGO_SUPERUSER_PASSWORD": "pw-for-embedded-limits",
    }
    manage(env, "migrate", "--noinput")
    manage(env, "createsuperuser", "--noinput")
    credential_id, raw_token = manage(env, "shell", "-c", CREATE_PIPELINE).splitlines()[-1].split()
    with app_server(env, arguments=MAKE_RUN_SERVER) as (base_url, server):
        assert _worker_processes(server.pid) > 1, "make run's server should start several processes"
        session = requests.Session()
        sign_in(session, base_url, "owner", "pw-for-embedded-limits")

        _at_the_start_of_a_window()
        # Round the providers, so no per-provider budget (12) is met before the user's (20).
        providers = itertools.cycle(CONNECTORS)
        checks = [check_a_key(session, base_url, next(providers)) for _ in range(CHECK_BUDGET_PER_USER + 1)]

        method, path, query, _ = real_read(get_connector("humanitix"))
        url = f"{base_url}/proxy/{credential_id}/{path}" + (f"?{query}" if query else "")

        def proxied_call(_):
            return requests.request(method, url, headers={"Authorization": f"Bearer {raw_token}"}, timeout=30).status_code

        _at_the_start_of_a_window()
        with ThreadPoolExecutor(max_workers=8) as pool:
            calls = list(pool.map(proxied_call, range(PROXY_RATE_LIMIT_PER_MINUTE + 1)))

    assert checks == [422] * CHECK_BUDGET_PER_USER + [429]
    assert sorted(calls) == [200] * PROXY_RATE_LIMIT_PER_MINUTE + [429]


def test_an_sqlite_too_old_for_atomic_upserts_stops_the_app(settings, monkeypatch):
    """`manage.py check` (so `make run`) refuses to count budgets in an SQLite older than 3.35, naming the fixes."""
    import sqlite3

    from django.db import connection

    from credentials_app.system_checks import check_counting_windows_database

    if connection.vendor != "sqlite":
        pytest.skip("the check concerns SQLite only")

    monkeypatch.setattr(sqlite3, "sqlite_version_info", (3, 31, 1))
    settings.COUNTING_WINDOWS_IN_CACHE = False

    [error] = check_counting_windows_database()

    assert error.id == "credentials.E003" and "SQLite 3.35" in error.msg and "REDIS_URL" in error.hint
    settings.COUNTING_WINDOWS_IN_CACHE = True
    assert check_counting_windows_database() == []
