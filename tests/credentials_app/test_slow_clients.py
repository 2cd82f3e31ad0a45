"""Clients that trickle their request (a byte a second) are cut off, and never hold up other callers."""
import os
import socket
import threading
import time
import uuid

import pytest
import requests

from credentials_app.crypto import generate_key
from credentials_app.config.gunicorn_worker import READ_AHEAD_BYTES, request_in
from tests.credentials_app.server_support import MAKE_RUN_SERVER, app_server, set_up_site

SLOW_CLIENTS = 8
# The deadline this server gives a request to arrive: shorter than the default, to keep the test short.
READ_DEADLINE = 4
TRICKLED_HEAD = b"GET /accounts/login/ HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Padding: " + b"x" * 60 + b"\r\n\r\n"
# With a CSRF cookie, the sign-in page reads the form before it answers.
BODY_HEAD = (b"POST /accounts/login/ HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 60\r\n"
             b"Cookie: csrftoken=" + b"c" * 32 + b"\r\nContent-Type: application/x-www-form-urlencoded\r\n\r\n")
TRICKLED_BODY = b"u" * 60


def _trickle(address, at_once: bytes, trickled: bytes, outcome: dict, stop: threading.Event):
    """Send at_once, then trickled a byte a second; record when the server answered or closed, if it did."""
    started = time.monotonic()
    with socket.create_connection(address, timeout=30) as connection:
        connection.sendall(at_once)
        for byte in trickled:
            if stop.is_set():
                return
            try:
                connection.sendall(bytes([byte]))
                time.sleep(1)
                connection.setblocking(False)
                try:
                    connection.recv(4096)  # An answer (a 408) or the end of the connection: either cuts it off.
                    break
                except BlockingIOError:
                    connection.setblocking(True)
            except OSError:
                break
        else:
            return
        outcome["cut_after"] = time.monotonic() - started


@pytest.mark.long
def test_slow_clients_are_cut_off_and_do_not_delay_other_callers(tmp_path):
    """Eight clients trickling headers or a body are cut off after the deadline; meanwhile others wait under a second."""
    env = {
        **{name: value for name, value in os.environ.items()
           if not name.startswith(("WEB_CONCURRENCY", "GUNICORN_")) and name not in ("REDIS_URL", "DATABASE_URL")},
        "SECRET_KEY": "slow-" + uuid.uuid4().hex,
        "CREDENTIALS_ENCRYPTION_KEYS": generate_key(),
        "VAR_DIR": str(tmp_path),
        "GUNICORN_READ_DEADLINE": str(READ_DEADLINE),
        # make run on one core: two processes of four threads, as many threads as there are slow clients.
        "WEB_CONCURRENCY": "2",
        "DJANGO_SUPERUSER_USERNAME": "owner",
        "DJANGO_SUPERUSER_EMAIL": "owner@example.com",
        "DJANGO_SUPERUSER_PASSWORD": "pw-for-slow-clients",
    }
    set_up_site(env)  # Past the first-run page, so the sign-in page reads the form.
    with app_server(env, arguments=MAKE_RUN_SERVER) as (base_url, _server):
        address = ("127.0.0.1", int(base_url.rsplit(":", 1)[1]))
        stop, outcomes, slow = threading.Event(), [], []
        for number in range(SLOW_CLIENTS):
            at_once, trickled = (b"", TRICKLED_HEAD) if number % 2 else (BODY_HEAD, TRICKLED_BODY)
            outcomes.append({})
            slow.append(threading.Thread(target=_trickle, args=(address, at_once, trickled, outcomes[-1], stop),
                                         daemon=True))
            slow[-1].start()
        time.sleep(1.5)  # Every slow client has started sending.

        waits = []
        for _ in range(2 * READ_DEADLINE):
            started = time.monotonic()
            try:
                assert requests.get(f"{base_url}/accounts/login/", headers={"Connection": "close"}, timeout=10).ok
            except requests.Timeout:
                pass  # Counted as the wait it was.
            waits.append(time.monotonic() - started)
            time.sleep(0.5)
        time.sleep(2)
        stop.set()
        for thread in slow:
            thread.join(timeout=3)

    assert max(waits) < 1, f"normal requests waited {max(waits):.1f} s behind slow clients"
    cut = [outcome.get("cut_after") for outcome in outcomes]
    assert all(seconds is not None and seconds < READ_DEADLINE + 3 for seconds in cut), cut


@pytest.mark.parametrize(("received", "whole"), [
    (b"GET / HTTP/1.1\r\nHost: a\r\n", False),
    (b"GET / HTTP/1.1\r\nHost: a\r\n\r\n", True),
    (b"POST / HTTP/1.1\r\nContent-Length: 5\r\n\r\nabc", False),
    (b"POST / HTTP/1.1\r\ncontent-length:5\r\n\r\nabcde", True),
    (b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n", False),
    (b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n", True),
    (b"POST / HTTP/1.1\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n", True),
    (b"POST / HTTP/1.1\r\nContent-Length: 99999999\r\n\r\n" + b"x" * READ_AHEAD_BYTES, True),
])
def test_a_request_goes_to_a_thread_once_it_has_arrived(received, whole):
    """Headers, and a body up to the read-ahead (unless the client awaits 100 Continue), arrive before a thread serves it."""
    assert request_in(received) is whole
