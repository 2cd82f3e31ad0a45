"""Keys that expire on a known date (Moshtix's JWT exp) are warned of 14, 3 and 1 days ahead, once each."""
import base64
import json
from datetime import timedelta

import pytest
from django.db.models import F
from django.utils import timezone

from connectors.base import Outcome, ValidationResult
from credentials_app.models import Credential
from credentials_app.services.credentials import credential_store_key
from credentials_app import health as signals
from credentials_app.models import WatchRun
from credentials_app.watch.worker import Watcher

pytestmark = pytest.mark.django_db


def jwt_expiring_in(delta: timedelta) -> str:
    """Return a Moshtix-style JWT whose exp is delta from now (whole seconds)."""
    def part(data: dict) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")

    exp = int((timezone.now() + delta).timestamp())
    return f"{part({'alg': 'HS256', 'typ': 'JWT'})}.{part({'tokenId': 'watch', 'exp': exp})}.c2lnbmF0dXJl"


def warnings_sent(announced) -> list[int]:
    return [arguments["days_left"] for arguments in announced.of(signals.key_expiring)]


def make_due(credential, days_left: int) -> None:
    """Move the credential's clock on until its days_left warning is due: its expiry and warnings come closer."""
    run = WatchRun.objects.get(credential=credential, job=WatchRun.Job.EXPIRY, days_left=days_left)
    shift = run.due_at - timezone.now() + timedelta(seconds=1)
    WatchRun.objects.filter(credential=credential, job=WatchRun.Job.EXPIRY).update(due_at=F("due_at") - shift)
    Credential.objects.filter(pk=credential.pk).update(key_expires_at=F("key_expires_at") - shift)


def test_a_key_ten_days_from_expiry_is_warned_once_at_14_then_at_3_and_1(credential_factory, announced):
    """The 14-day warning goes at once and only once; the 3- and 1-day ones when their day comes."""
    credential = credential_factory(provider="moshtix", key=jwt_expiring_in(timedelta(days=10)),
                                    last_checked_at=timezone.now())
    watcher = Watcher()

    watcher.run_due()
    watcher.run_due()
    assert warnings_sent(announced) == [14]
    [warning] = announced.of(signals.key_expiring)
    assert warning["credential"] == credential and warning["expires_at"] == credential.key_expires_at
    assert all(in_transaction for _, _, in_transaction in announced.sent)

    make_due(credential, 3)
    watcher.run_due()
    make_due(credential, 1)
    watcher.run_due()
    watcher.run_due()
    assert warnings_sent(announced) == [14, 3, 1]


def test_a_key_added_two_days_before_expiry_gets_one_warning_now_not_three(credential_factory, announced):
    """Past warnings are not sent in a burst: only the latest one that has passed (3 days), then the 1-day one."""
    credential_factory(provider="moshtix", key=jwt_expiring_in(timedelta(days=2)), last_checked_at=timezone.now())

    Watcher().run_due()

    assert warnings_sent(announced) == [3]


def test_a_replaced_key_cancels_the_old_keys_warnings(credential_factory, announced):
    """Once the key is replaced by one that does not expire, the old key's due warnings are not sent."""
    credential = credential_factory(provider="moshtix", key=jwt_expiring_in(timedelta(days=10)),
                                    last_checked_at=timezone.now())
    Watcher().run_due()
    credential_store_key(credential=credential, key="a-moshtix-token-without-expiry",
                         result=ValidationResult(Outcome.VERIFIED, "Moshtix accepted the token."), actor=None)
    make_due(credential, 3)

    Watcher().run_due()

    assert warnings_sent(announced) == [14]
    assert WatchRun.objects.get(credential=credential, job=WatchRun.Job.EXPIRY, days_left=3).outcome == "skipped"


def test_keys_of_providers_without_an_expiry_get_no_warnings(credential_factory, announced):
    """A Humanitix key has no known expiry: nothing is planned."""
    credential = credential_factory(provider="humanitix", last_checked_at=timezone.now())
    Watcher().run_due()
    assert Credential.objects.get(pk=credential.pk).key_expires_at is None
    assert not WatchRun.objects.filter(job=WatchRun.Job.EXPIRY).exists() and announced.sent == []


def test_a_key_stored_before_expiry_dates_were_kept_learns_its_date_at_its_next_check(sandbox, credential_factory):
    """A Moshtix key without a stored expiry gets it from the watch's next check, and its warnings are planned."""
    credential = credential_factory(provider="moshtix", key=jwt_expiring_in(timedelta(days=10)))
    expires_at = credential.key_expires_at
    Credential.objects.filter(pk=credential.pk).update(key_expires_at=None)

    Watcher().run_due()
    Watcher().run_due()

    assert Credential.objects.get(pk=credential.pk).key_expires_at == expires_at
    assert WatchRun.objects.filter(credential=credential, job=WatchRun.Job.EXPIRY).count() == 3
