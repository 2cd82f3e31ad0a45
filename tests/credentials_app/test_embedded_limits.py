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
from tests.credentials_app.server_support import MAKE_RUN_SERVER, app_server, check_a_key, set_up_site, sign_in

# The README's defaults, which the server below runs with.
CHECK_BUDGET_PER_USER = 20
PROXY_RATE_LIMIT_PER_MINUTE = 600
# Each burst is tried again, from a fresh person or credential, if a minute's window ended while it ran.
TRIES = 3

CREATE_PIPELINE = """
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from credentials_app.models import Credential
from credentials_app.services.tokens import token_create
owner = get_user_model().objects.create_user("pipeline-owner")
password = make_password("pw-for-embedded-limits")  # hashed once: the production hasher is slow on purpose
for number in range(%d):
    get_user_model().objects.create(username=f"person-{number}", password=password)
credentials = []
for number in range(%d):
    credential = Credential(owner=owner, provider="humanitix", name=f"Events {number}", options={}, status="verified")
    credential.set_key("sandbox_key_valid")
    credential.save()
    credentials.append(str(credential.pk))
_, raw = token_create(creator=owner, name="pipeline", scopes=["credentials:use"])
print(raw, *credentials)
""" % (TRIES, TRIES)


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


def _in_one_window(burst):
    """Return burst()'s results, or None if a minute's window ended while it ran (windows start on the minute)."""
    window = time.time() // 60
    results = burst()
    return results if time.time() // 60 == window else None


@pytest.mark.long
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
    raw_token, *credential_ids = set_up_site(env, CREATE_PIPELINE).splitlines()[-1].split()
    with app_server(env, arguments=MAKE_RUN_SERVER) as (base_url, server):
        assert _worker_processes(server.pid) > 1, "make run's server should start several processes"

        def checks_by(person):
            session = requests.Session()
            sign_in(session, base_url, person, "pw-for-embedded-limits")
            # Round the providers, so no per-provider budget (12) is met before the person's (20).
            providers = itertools.cycle(CONNECTORS)
            return _in_one_window(
                lambda: [check_a_key(session, base_url, next(providers)) for _ in range(CHECK_BUDGET_PER_USER + 1)]
            )

        method, path, query, _ = real_read(get_connector("humanitix"))

        def proxied_calls(credential_id):
            url = f"{base_url}/proxy/{credential_id}/{path}" + (f"?{query}" if query else "")

            def proxied_call(_):
                headers = {"Authorization": f"Bearer {raw_token}"}
                return requests.request(method, url, headers=headers, timeout=30).status_code

            with ThreadPoolExecutor(max_workers=8) as pool:
                return _in_one_window(lambda: list(pool.map(proxied_call, range(PROXY_RATE_LIMIT_PER_MINUTE + 1))))

        # A burst a window's end cut in two is tried again by a fresh person, on a fresh credential.
        checks = next(filter(None, (checks_by(f"person-{number}") for number in range(TRIES))), None)
        calls = next(filter(None, (proxied_calls(credential_id) for credential_id in credential_ids)), None)

    assert checks is not None and calls is not None, f"every try straddled a minute's end: {TRIES} tries"
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
