"""Noticed in use: proxied calls answered with the provider's "invalid key" make the watch confirm with one
check and mark the key Rejected at once, for every registered provider."""
import pytest
from django.conf import settings

from connectors.sandbox import keys
from credentials_app.models import AuditEvent, Credential
from credentials_app import health as signals
from credentials_app.models import WatchRun
from credentials_app.watch.noticed import proxy_answer_seen
from credentials_app.watch.worker import Watcher
from tests.credentials_app.machine_support import USE, make_token
from tests.credentials_app.test_proxy_endpoint import call, connector  # noqa: F401  (fixtures)

pytestmark = pytest.mark.django_db
Status = Credential.Status


def confirmations(credential):
    return WatchRun.objects.filter(credential=credential, job=WatchRun.Job.CONFIRM)


def test_a_key_revoked_at_the_provider_is_rejected_after_one_confirming_check(
    connector, call, credential_factory, user_factory, sandbox, announced
):
    """Five failing pipeline calls: one confirmation, off the request thread; the watch's check marks it Rejected."""
    owner = user_factory()
    credential = credential_factory(owner=owner, provider=connector.id, key=keys.REJECTED, status=Status.VERIFIED)
    _, raw = make_token(owner, USE)

    statuses = [call(credential, raw)[0].status_code for _ in range(5)]

    assert statuses == [200 if connector.id == "moshtix" else 401] * 5
    assert len(sandbox.state.requests) == 5  # the calls only: nothing was checked on the request thread
    assert confirmations(credential).count() == 1
    credential.refresh_from_db()
    assert credential.status == Status.VERIFIED

    assert Watcher().run_due(plan=False) == 1

    credential.refresh_from_db()
    assert credential.status == Status.REJECTED
    assert len(sandbox.state.requests) == 6
    [move] = announced.of(signals.health_changed)
    assert (move["old"], move["new"]) == (Status.VERIFIED, Status.REJECTED)
    assert move["cause"].startswith(f"Calls through the proxy got {connector.name}'s invalid-key answer, and a check "
                                    "confirmed it: ")
    call(credential, raw)
    assert confirmations(credential).count() == 1


def test_a_working_key_answered_normally_asks_for_nothing(connector, call, credential_factory, user_factory):
    """Successful calls (Moshtix's 200 without the error too) cause no confirmation."""
    owner = user_factory()
    credential = credential_factory(owner=owner, provider=connector.id)
    _, raw = make_token(owner, USE)

    assert call(credential, raw)[0].status_code == 200
    assert not confirmations(credential).exists()


def test_a_false_alarm_costs_one_check_per_window_and_moves_nothing(
    sandbox, credential_factory, steady_clock, announced
):
    """A 401 on a key the provider accepts: one check that leaves it Verified; the next 401s in the window ask nothing."""
    credential = credential_factory(provider="humanitix")
    answer = b'{"statusCode":401,"error":"Unauthorized","message":"Invalid API Key."}'

    assert proxy_answer_seen(credential=credential, status=401, head=answer)
    assert not proxy_answer_seen(credential=credential, status=401, head=answer)
    Watcher().run_due(plan=False)
    assert not proxy_answer_seen(credential=credential, status=401, head=answer)
    steady_clock.advance(settings.WATCH_CONFIRM_WINDOW_SECONDS)
    assert proxy_answer_seen(credential=credential, status=401, head=answer)

    credential.refresh_from_db()
    assert credential.status == Status.VERIFIED and announced.sent == []
    assert [run.outcome for run in confirmations(credential).order_by("pk")] == ["verified", ""]
    assert AuditEvent.objects.filter(credential=credential, action=AuditEvent.Action.CHECKED).count() == 1


def test_a_compressed_moshtix_refusal_is_read_too(credential_factory):
    """Moshtix's "Access denied. Invalid token" is found in a gzip-compressed answer as well."""
    import gzip

    credential = credential_factory(provider="moshtix")
    body = b'{"errors": [{"message": "Access denied. Invalid token"}], "data": {"viewer": null}}'

    assert not proxy_answer_seen(credential=credential, status=200, head=b'{"data": {"viewer": {"id": "1"}}}')
    assert proxy_answer_seen(credential=credential, status=200, head=gzip.compress(body), content_encoding="gzip")
