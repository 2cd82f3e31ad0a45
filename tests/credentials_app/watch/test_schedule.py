"""The watch's schedule: every credential checked again on its own stable time, refusals backed off, failures retried."""
from collections import Counter
from datetime import timedelta

import pytest
from django.utils import timezone

from connectors.sandbox import keys
from credentials_app.models import AuditEvent, Credential
from credentials_app.models import WatchRun
from credentials_app.watch.schedule import slot_at_or_after, watch_plan
from credentials_app.watch.worker import Watcher

pytestmark = pytest.mark.django_db
Status = Credential.Status


def pending_check(credential) -> WatchRun:
    return WatchRun.objects.get(credential=credential, job=WatchRun.Job.CHECK, finished_at__isnull=True)


def make_due(credential) -> None:
    WatchRun.objects.filter(credential=credential, finished_at__isnull=True).update(due_at=timezone.now())


def test_slots_are_stable_per_credential_and_spread_over_the_day(credential_factory):
    """A credential keeps its time of day from one day to the next; a thousand of them cover every hour."""
    import uuid

    ids = [uuid.uuid4() for _ in range(1000)]
    now = timezone.now()
    first = {i: slot_at_or_after(i, now) for i in ids}
    assert all(slot_at_or_after(i, first[i] + timedelta(seconds=1)) == first[i] + timedelta(days=1) for i in ids)
    hours = Counter(slot.hour for slot in first.values())
    assert len(hours) == 24 and min(hours.values()) > 1000 / 24 / 3


def test_a_never_checked_credential_is_checked_at_once_and_then_a_day_later(sandbox, credential_factory):
    """The watch checks a new credential without any cron line, then plans its next check for its slot tomorrow."""
    credential = credential_factory(status=Status.NOT_VERIFIED)
    disabled = credential_factory(disabled_at=timezone.now())

    assert Watcher().run_due() == 1

    credential.refresh_from_db()
    assert credential.status == Status.VERIFIED and credential.last_checked_at is not None
    run = pending_check(credential)
    assert timedelta(hours=12) <= run.due_at - timezone.now() <= timedelta(hours=36)
    assert run.due_at == slot_at_or_after(credential.pk, run.due_at)
    assert not WatchRun.objects.filter(credential=disabled).exists()
    assert AuditEvent.objects.filter(credential=credential, action=AuditEvent.Action.CHECKED, actor_name="system").count() == 1


def test_nothing_runs_before_it_is_due(sandbox, credential_factory):
    """A credential checked an hour ago waits for its slot: a second pass checks nothing."""
    credential_factory(last_checked_at=timezone.now() - timedelta(hours=1))
    assert Watcher().run_due() == 0


def test_a_rejected_key_is_checked_again_less_and_less_often(sandbox, credential_factory):
    """A refused key waits about 2 intervals, then 4, at most WATCH_REJECTED_MAX_DAYS."""
    credential = credential_factory(key=keys.REJECTED)
    waits = []
    for _ in range(4):
        make_due(credential)
        before = timezone.now()
        Watcher().run_due()
        waits.append((pending_check(credential).due_at - before) / timedelta(days=1))
    credential.refresh_from_db()
    assert credential.status == Status.REJECTED
    assert 1.5 <= waits[0] <= 2.5 and 3.5 <= waits[1] <= 4.5 and 6.5 <= waits[2] <= 7.5 and 6.5 <= waits[3] <= 7.5


def test_a_key_that_could_not_be_checked_is_retried_sooner_and_marked_after_three(sandbox, credential_factory,
                                                                                 announced):
    """A 503 is retried after 15, then 30 minutes; the third failure in a row moves it to Could not check."""
    credential = credential_factory(key=keys.SERVER_ERROR, status=Status.VERIFIED)
    waits, statuses = [], []
    for _ in range(3):
        make_due(credential)
        before = timezone.now()
        Watcher().run_due()
        waits.append(round((pending_check(credential).due_at - before) / timedelta(minutes=1)))
        credential.refresh_from_db()
        statuses.append(credential.status)
    assert waits == [15, 30, 60]
    assert statuses == [Status.VERIFIED, Status.VERIFIED, Status.COULD_NOT_CHECK]
    [move] = announced.sent
    assert move[1]["cause"].startswith("Scheduled check: Humanitix had a server error")


def test_a_run_held_under_a_live_lease_is_left_alone_and_a_dead_workers_run_is_taken_over(sandbox, credential_factory):
    """Another worker's run is not claimed while its lease lasts; once it has passed, it is run once, and the
    first worker, back too late, records nothing."""
    credential = credential_factory(status=Status.NOT_VERIFIED)
    watch_plan(now=timezone.now())
    late = Watcher(worker_id="late")
    [run] = late.claim()
    other = Watcher(worker_id="other")

    assert other.run_due() == 0
    WatchRun.objects.filter(pk=run.pk).update(lease_until=timezone.now() - timedelta(seconds=1))
    assert other.run_due() == 1
    late.run([run])

    run.refresh_from_db()
    assert (run.claimed_by, run.attempts, run.outcome) == ("other", 2, "verified")
    assert AuditEvent.objects.filter(credential=credential, action=AuditEvent.Action.CHECKED).count() == 1


def test_an_admin_sees_what_the_watch_ran_and_cannot_change_it(sandbox, credential_factory, client, django_user_model):
    """The admin lists each run with its worker and outcome; adding or editing runs is not offered."""
    admin_user = django_user_model.objects.create_superuser("root", "root@example.com", "pw-for-tests-1")
    client.force_login(admin_user)
    credential = credential_factory(name="Box office", status=Status.NOT_VERIFIED)
    Watcher(worker_id="server-1").run_due()
    run = WatchRun.objects.get(credential=credential, finished_at__isnull=False)

    page = client.get("/admin/credentials_app/watchrun/").content.decode()

    assert "Box office" in page and "server-1" in page and keys.VALID not in page
    assert client.get("/admin/credentials_app/watchrun/add/").status_code == 403
    assert client.post(f"/admin/credentials_app/watchrun/{run.pk}/delete/").status_code == 403
