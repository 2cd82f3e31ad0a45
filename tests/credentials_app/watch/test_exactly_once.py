"""Exactly once across servers: watch processes sharing one PostgreSQL run each due check once, and a
killed worker's check once more after its lease. Needs PostgreSQL (DATABASE_URL=postgres://...)."""
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings as django_settings
from django.db import connection, transaction
from django.utils import timezone

from connectors.registry import CONNECTORS
from connectors.sandbox import keys
from credentials_app.models import AuditEvent, Credential
from credentials_app.models import WatchRun
from credentials_app.watch.schedule import watch_plan

pytestmark = pytest.mark.django_db(transaction=True)
ROOT = Path(__file__).resolve().parents[3]
DUE_CHECKS = 1200


@pytest.fixture(autouse=True)
def postgresql():
    """Skip unless the tests run on PostgreSQL: SQLite is one node, where claiming rows needs no skipping."""
    if connection.vendor != "postgresql":
        pytest.skip("Several watch processes on one database need PostgreSQL: run with DATABASE_URL=postgres://...")


def database_url() -> str:
    """Return the URL of the test database this test process uses, for the worker processes."""
    db = connection.settings_dict
    password = f":{quote(db['PASSWORD'], safe='')}" if db.get("PASSWORD") else ""
    return f"postgres://{quote(db['USER'] or '', safe='')}{password}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def start_worker(worker_id: str, sandbox, tmp_path, *extra_args, **env) -> subprocess.Popen:
    """Start `manage.py watch_credentials` as its own process, on the test database and the sandbox."""
    environment = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "credentials_app.config.settings",
        "DATABASE_URL": database_url(),
        "CREDENTIALS_ENCRYPTION_KEYS": ",".join(django_settings.CREDENTIALS_ENCRYPTION_KEYS),
        "PROVIDER_SANDBOX_URL": sandbox.url,
        "PROVIDER_SANDBOX_ALLOWED": "true",
        "PROVIDER_SANDBOX_CA_BUNDLE": sandbox.ca_bundle,
        "VAR_DIR": str(tmp_path),
        "LOG_LEVEL": "WARNING",
        **env,
    }
    return subprocess.Popen(
        [sys.executable, "manage.py", "watch_credentials", "--worker-id", worker_id, *extra_args],
        cwd=ROOT, env=environment, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )


def stop_workers(workers: list[subprocess.Popen]) -> list[str]:
    """Stop workers with SIGTERM (SIGKILL for one still running a minute later); return what each printed."""
    for worker in workers:
        worker.send_signal(signal.SIGTERM)  # nothing, for one that has ended
    outputs = []
    for worker in workers:
        try:
            outputs.append(worker.communicate(timeout=60)[0])
        except subprocess.TimeoutExpired:
            worker.kill()
            outputs.append(worker.communicate()[0])
    return outputs

def credentials(count: int, owner) -> list[Credential]:
    """Store count never-checked credentials with a valid sandbox key, spread over every provider."""
    made = []
    for index in range(count):
        credential = Credential(owner=owner, provider=CONNECTORS[index % len(CONNECTORS)].id, name=f"Watched {index}")
        credential.set_key(keys.VALID)
        made.append(credential)
    return Credential.objects.bulk_create(made)


def waiting_on_a_lock(names: list[str]) -> set[str]:
    """Return which of the worker ids named (their PostgreSQL application names) wait on a lock now."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_stat_clear_snapshot()")  # else a transaction sees its first reading again
        cursor.execute(
            "SELECT DISTINCT application_name FROM pg_stat_activity WHERE datname = current_database()"
            " AND wait_event_type = 'Lock' AND application_name = ANY(%s)", [names]
        )
        return {name for (name,) in cursor.fetchall()}


@pytest.mark.long
def test_three_watch_processes_run_each_of_1200_due_checks_exactly_once(sandbox, user_factory, tmp_path):
    """Three watch processes on one PostgreSQL: every due check runs once at the provider, none twice, none missed."""
    names = [f"server-{n}" for n in range(3)]
    made = credentials(DUE_CHECKS, user_factory())
    before = len(sandbox.state.requests)
    workers = []
    try:
        # The runs table is locked until all three wait to plan into it, so they plan the same 1,200
        # checks and claim them at the same moment, as servers started together do. libpq names each
        # worker's connections after it (PGAPPNAME), so the test sees them wait.
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute(f"LOCK TABLE {WatchRun._meta.db_table} IN SHARE ROW EXCLUSIVE MODE")
            workers = [
                start_worker(name, sandbox, tmp_path, WATCH_BATCH="40", WATCH_POLL_SECONDS="0.2", PGAPPNAME=name)
                for name in names
            ]
            deadline = time.monotonic() + 120
            while waiting_on_a_lock(names) != set(names) and time.monotonic() < deadline:
                time.sleep(0.1)
            assert waiting_on_a_lock(names) == set(names), "the watch processes never reached the runs table"
        started = timezone.now()
        finished = WatchRun.objects.filter(job=WatchRun.Job.CHECK, finished_at__isnull=False)
        while finished.count() < DUE_CHECKS and time.monotonic() < deadline + 300:
            time.sleep(0.2)
        time.sleep(0.5)  # Room for a second run of any check, were there one.
    finally:
        outputs = stop_workers(workers)

    assert [worker.returncode for worker in workers] == [0, 0, 0], outputs
    assert len(sandbox.state.requests) - before == DUE_CHECKS  # 0 run twice, 0 missed, at the provider
    assert finished.count() == DUE_CHECKS
    assert set(finished.values_list("outcome", flat=True)) == {"verified"}
    assert set(finished.values_list("attempts", flat=True)) == {1}
    assert len(set(finished.values_list("claimed_by", flat=True))) >= 2, "the processes did not share the work"
    checked = AuditEvent.objects.filter(action=AuditEvent.Action.CHECKED).values_list("credential_id", flat=True)
    assert sorted(checked) == sorted(credential.pk for credential in made)
    assert not WatchRun.objects.filter(finished_at__isnull=True, due_at__lte=started).exists()


@pytest.mark.long
def test_a_worker_killed_mid_check_has_its_check_run_again_after_the_lease_once(sandbox, credential_factory, tmp_path):
    """SIGKILL during a check: after WATCH_LEASE_SECONDS another worker runs it, once, and its result is stored once."""
    credential = credential_factory(status=Credential.Status.NOT_VERIFIED)
    watch_plan(now=timezone.now())
    before = len(sandbox.state.requests)
    sandbox.state.delay_seconds = 30.0
    lease = {"WATCH_LEASE_SECONDS": "4", "WATCH_POLL_SECONDS": "0.2"}
    killed = start_worker("killed", sandbox, tmp_path, **lease)
    workers = [killed]
    try:
        deadline = time.monotonic() + 60
        while len(sandbox.state.requests) == before and time.monotonic() < deadline:
            time.sleep(0.05)
        assert len(sandbox.state.requests) == before + 1, "the first worker never reached the provider"
        killed.send_signal(signal.SIGKILL)
        killed.wait(timeout=10)
        killed_at = timezone.now()
        sandbox.state.delay_seconds = 0.0
        workers.append(start_worker("survivor", sandbox, tmp_path, **lease))
        run = WatchRun.objects.get(credential=credential, job=WatchRun.Job.CHECK)
        while run.finished_at is None and time.monotonic() < deadline:
            time.sleep(0.1)
            run.refresh_from_db()
        time.sleep(1.0)  # Room for a second run, were there one.
    finally:
        sandbox.state.delay_seconds = 0.0
        stop_workers(workers)

    assert (run.claimed_by, run.attempts, run.outcome) == ("survivor", 2, "verified")
    assert (run.finished_at - killed_at).total_seconds() >= 4 - 1.5  # not before the killed worker's lease ended
    assert len(sandbox.state.requests) - before == 2
    assert AuditEvent.objects.filter(credential=credential, action=AuditEvent.Action.CHECKED).count() == 1
    credential.refresh_from_db()
    assert credential.status == Credential.Status.VERIFIED
