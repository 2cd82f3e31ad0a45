"""Helpers for tests that start real app servers (gunicorn, as `make run` does) in a subprocess, bounded in time."""
import socket
import subprocess
import sys
import time
import uuid
from contextlib import contextmanager
from pathlib import Path

import requests

from connectors.registry import get_connector
from connectors.sandbox import keys

BASE_DIR = Path(__file__).resolve().parents[2]
START_TIMEOUT = 60
# `make run`'s server: the project's gunicorn configuration, its default process count.
MAKE_RUN_SERVER = ["-m", "gunicorn", "-c", "python:credentials_app.config.gunicorn", "--no-control-socket"]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def app_server(env: dict, *, arguments=("-m", "gunicorn", "credentials_app.config.wsgi", "--workers", "1", "--timeout", "30",
                                        "--no-control-socket")):
    """Run gunicorn with arguments on a free loopback port until the block ends; yield (base URL, process)."""
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, *arguments, "--bind", f"127.0.0.1:{port}"],
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
        yield f"http://127.0.0.1:{port}", server
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def manage(env, *args) -> str:
    """Run manage.py with args in env; return what it printed."""
    return subprocess.run([sys.executable, "manage.py", *args], cwd=BASE_DIR, env=env, check=True, timeout=120,
                          capture_output=True, text=True).stdout


# Migrate, then make the owner from DJANGO_SUPERUSER_* (past the first-run page), as `migrate` and
# `createsuperuser --noinput` would.
_SET_UP = """
import os
from django.contrib.auth import get_user_model
from django.core.management import call_command
call_command("migrate", interactive=False, verbosity=0, skip_checks=False)  # as `manage.py migrate` checks
get_user_model().objects.create_superuser(
    os.environ["DJANGO_SUPERUSER_USERNAME"], os.environ["DJANGO_SUPERUSER_EMAIL"], os.environ["DJANGO_SUPERUSER_PASSWORD"]
)
"""


def set_up_site(env, script: str = "") -> str:
    """Migrate env's database, make its owner, then run script, in one process (each start costs a second of CPU);
    return what it printed."""
    return manage(env, "shell", "-c", _SET_UP + script)


def sign_in(session, base_url, username, password):
    session.get(f"{base_url}/accounts/login/", timeout=10)
    response = session.post(
        f"{base_url}/accounts/login/",
        {"username": username, "password": password, "csrfmiddlewaretoken": session.cookies["csrftoken"]},
        timeout=10, allow_redirects=False,
    )
    assert response.status_code == 302


def check_a_key(session, base_url, connector=None):
    """Ask the overlay to check a key the sandbox rejects (with connector, default Humanitix); return the status."""
    connector = connector or get_connector("humanitix")
    return session.post(
        f"{base_url}/connect/{connector.kinds[0]}/{connector.id}/credentials/",
        {"name": "Probe", "key": keys.REJECTED, "creation_token": str(uuid.uuid4()),
         **{setting.name: setting.default for setting in connector.settings}},
        # A connection each, as a script would open them: the server's processes take turns answering.
        headers={"X-CSRFToken": session.cookies["csrftoken"], "Accept": "application/json", "Connection": "close"},
        timeout=30,
    ).status_code
