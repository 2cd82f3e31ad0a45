"""`manage.py check_credentials`: re-check stored keys in bulk, from a terminal or from cron."""
import io
import time
from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.test import override_settings
from django.utils import timezone

from connectors.sandbox import keys
from credentials_app.crypto import generate_key
from credentials_app.models import AuditEvent, Credential

pytestmark = pytest.mark.django_db


def run(*args):
    """Run the command; return (output, exit code)."""
    out = io.StringIO()
    try:
        call_command("check_credentials", *args, stdout=out, stderr=io.StringIO())
    except CommandError as error:
        return out.getvalue(), error.returncode
    return out.getvalue(), 0


def checked(*credentials) -> list[bool]:
    """Return, per credential, whether the run stored a check on it."""
    return [Credential.objects.get(pk=c.pk).last_checked_at is not None for c in credentials]


def test_every_enabled_credential_is_checked_and_its_outcome_stored(sandbox, credential_factory):
    """Each outcome is stored with a system CHECKED event, and one summary line per outcome is printed."""
    valid = credential_factory(provider="humanitix", status=Credential.Status.NOT_VERIFIED)
    also_valid = credential_factory(provider="custify", key=keys.VALID)
    broken = credential_factory(provider="humanitix", key=keys.SERVER_ERROR)
    disabled = credential_factory(provider="humanitix", disabled_at=timezone.now())

    output, code = run()

    assert code == 0
    assert "verified: 2" in output.splitlines()
    assert "rejected: 0" in output.splitlines()
    assert "could not check: 1" in output.splitlines()
    assert checked(valid, also_valid, broken, disabled) == [True, True, True, False]
    valid.refresh_from_db()
    broken.refresh_from_db()
    assert valid.status == Credential.Status.VERIFIED
    assert broken.status == Credential.Status.VERIFIED  # could not check: the last known status stays
    assert "HTTP 503" in broken.status_message
    events = AuditEvent.objects.filter(action=AuditEvent.Action.CHECKED)
    assert events.count() == 3
    assert set(events.values_list("actor_name", flat=True)) == {"system"}
    assert keys.VALID not in output and keys.SERVER_ERROR not in output


def test_a_rejected_credential_makes_the_command_fail_for_cron(sandbox, credential_factory):
    """One rejected key: stored as Rejected, counted, and the exit status is 1."""
    credential_factory(provider="humanitix")
    rejected = credential_factory(provider="tixy", key=keys.REJECTED)

    output, code = run()

    assert code == 1
    assert "rejected: 1" in output.splitlines()
    rejected.refresh_from_db()
    assert rejected.status == Credential.Status.REJECTED


def test_disabled_credentials_are_checked_only_when_asked(sandbox, credential_factory):
    """--include-disabled checks disabled credentials too."""
    disabled = credential_factory(provider="humanitix", disabled_at=timezone.now())

    output, code = run("--include-disabled")

    assert code == 0 and "verified: 1" in output.splitlines()
    assert checked(disabled) == [True]


def test_filters_by_provider_status_and_age(sandbox, credential_factory):
    """--provider, --status and --older-than pick only the matching credentials."""
    now = timezone.now()
    custify = credential_factory(provider="custify", last_checked_at=now - timedelta(days=8))
    humanitix_recent = credential_factory(provider="humanitix", last_checked_at=now - timedelta(hours=1))
    humanitix_old = credential_factory(provider="humanitix", last_checked_at=now - timedelta(days=8))
    humanitix_never = credential_factory(provider="humanitix", status=Credential.Status.NOT_VERIFIED)

    run("--provider", "humanitix", "--older-than", "7d")
    assert [c.last_checked_at > now for c in Credential.objects.filter(
        pk__in=[custify.pk, humanitix_recent.pk, humanitix_old.pk]).order_by("provider", "last_checked_at")
    ] == [False, False, True]
    assert checked(humanitix_never) == [True]

    Credential.objects.update(last_checked_at=None)
    Credential.objects.filter(pk=custify.pk).update(status=Credential.Status.REJECTED)
    output, _ = run("--status", "rejected")
    assert checked(custify, humanitix_recent, humanitix_old, humanitix_never) == [True, False, False, False]
    assert "verified: 1" in output.splitlines()


def test_filters_by_team_name_or_id(sandbox, credential_factory, team_factory, share_factory):
    """--team takes a team's name or id and checks only credentials shared with that team."""
    team = team_factory("Data Ops")
    shared = credential_factory(provider="humanitix")
    credential_factory(provider="humanitix")
    share_factory(shared, team)

    output, _ = run("--team", "data ops")
    assert "verified: 1" in output.splitlines()
    output, _ = run("--team", str(team.pk))
    assert "verified: 1" in output.splitlines()


@pytest.mark.parametrize(
    "args, message",
    [
        (("--team", "Nobody"), "No team is named or has the id “Nobody”."),
        (("--older-than", "a week"), "“a week” is not an age"),
    ],
)
def test_bad_filters_are_refused_with_a_clear_message(db, args, message):
    """A filter that names nothing stops the command before any check."""
    with pytest.raises(CommandError, match=message):
        call_command("check_credentials", *args, stdout=io.StringIO())


def test_a_secret_that_cannot_be_decrypted_counts_as_could_not_check(sandbox, settings, credential_factory):
    """A missing key never crashes the run: the credential is reported with the can't-decrypt message."""
    orphan = credential_factory(provider="humanitix")
    with override_settings(CREDENTIALS_ENCRYPTION_KEYS=[generate_key()]):
        output, code = run()

    assert code == 0
    assert "could not check: 1" in output.splitlines()
    orphan.refresh_from_db()
    assert orphan.status_message == f"Can't decrypt: key {orphan.key_id} missing"
    assert sandbox.state.requests == []


def test_a_rate_limited_provider_is_retried_after_its_retry_after(sandbox, credential_factory):
    """A 429 holds that provider back for Retry-After, then the check is tried once more."""
    limited = credential_factory(provider="humanitix", key=keys.RATE_LIMITED_BRIEFLY)
    credential_factory(provider="humanitix")

    started = time.monotonic()
    output, code = run("--per-provider", "1")
    elapsed = time.monotonic() - started

    humanitix_requests = [r for r in sandbox.state.requests if r[0] == "api.humanitix.com"]
    assert len(humanitix_requests) == 3  # the 429, its retry, and the other credential
    assert elapsed >= keys.BRIEF_RETRY_AFTER_SECONDS
    assert "verified: 1" in output.splitlines() and "could not check: 1" in output.splitlines()
    limited.refresh_from_db()
    assert "rate-limiting" in limited.status_message


def test_a_retry_after_longer_than_the_cap_is_not_waited_for(sandbox, credential_factory):
    """--max-retry-wait caps the wait: a longer Retry-After is reported, not retried."""
    credential_factory(provider="custify", key=keys.RATE_LIMITED)

    output, _ = run("--max-retry-wait", "5")

    assert len(sandbox.state.requests) == 1
    assert "could not check: 1" in output.splitlines()


class _Terminal(io.StringIO):
    def isatty(self):
        return True


def test_a_terminal_gets_a_progress_bar_and_a_pipe_gets_plain_lines(sandbox, credential_factory):
    """On a terminal a redrawn bar replaces the per-credential lines; elsewhere each result is one line."""
    credential = credential_factory(provider="humanitix", name="Box office")

    terminal = _Terminal()
    call_command("check_credentials", stdout=terminal)
    assert "\rChecking [" in terminal.getvalue() and "1/1" in terminal.getvalue()
    assert "Box office" not in terminal.getvalue()

    plain, _ = run()
    assert "\r" not in plain
    assert f"verified: Box office (humanitix, {credential.masked_fingerprint})" in plain


def test_a_cookie_set_while_checking_one_key_never_travels_with_the_next():
    """Worker threads reuse connections, but keep no cookies between credentials."""
    import http.server
    import threading

    from credentials_app.services.bulk_recheck import _thread_session

    cookies = []

    class SetsCookie(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            cookies.append(self.headers.get("Cookie"))
            self.send_response(200)
            self.send_header("Set-Cookie", "session=for-the-first-key; Path=/")
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args):
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), SetsCookie)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        session = _thread_session()
        for _ in range(2):
            session.get(f"http://127.0.0.1:{server.server_port}/", timeout=5)
    finally:
        server.shutdown()
        server.server_close()
    assert cookies == [None, None]
