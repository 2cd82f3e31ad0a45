"""Proxied calls counted in memory and written in batches: nothing lost, first use audited once."""
import threading
import time

import pytest
from django.db import OperationalError

from credentials_app.models import AuditEvent, ProxyUsage
from credentials_app.machine import usage as proxy_usage
from credentials_app.machine.usage import usage_flush, usage_record
from tests.credentials_app.machine_support import USE, make_token

Action = AuditEvent.Action


@pytest.fixture
def batched(settings, monkeypatch):
    """Hold counts in memory with no flushing thread, so only an explicit flush writes them."""
    settings.PROXY_USAGE_FLUSH_SECONDS = 3600
    monkeypatch.setattr(proxy_usage, "_start_flusher", lambda: None)
    yield
    usage_flush()


def _counts(credential):
    return {row.status: row.count for row in ProxyUsage.objects.filter(credential=credential)}


def _first_uses(credential):
    return AuditEvent.objects.filter(credential=credential, action=Action.PROXY_FIRST_USE).count()


def test_calls_are_written_in_one_batch_and_the_first_use_is_audited_once(
    batched, credential_factory, user_factory
):
    owner = user_factory()
    credential = credential_factory(owner=owner)
    token, _ = make_token(owner, USE)

    for status in (200, 200, 200, 404):
        usage_record(token=token, credential=credential, status=status)
    assert _counts(credential) == {}  # held, not yet written

    assert usage_flush() == 4
    assert _counts(credential) == {200: 3, 404: 1}
    usage_record(token=token, credential=credential, status=200)
    usage_flush()
    assert _counts(credential) == {200: 4, 404: 1}
    assert _first_uses(credential) == 1


def test_a_batch_the_database_refuses_is_kept_and_written_with_the_next(
    batched, credential_factory, user_factory, monkeypatch
):
    owner = user_factory()
    credential = credential_factory(owner=owner)
    token, _ = make_token(owner, USE)
    real_write = proxy_usage._write
    failures = iter([OperationalError("database is locked")])

    def write_after_one_failure(*args):
        if (failure := next(failures, None)) is not None:
            raise failure
        real_write(*args)

    monkeypatch.setattr(proxy_usage, "_write", write_after_one_failure)
    for _ in range(3):
        usage_record(token=token, credential=credential, status=200)

    assert usage_flush() == 0
    assert _counts(credential) == {}
    usage_record(token=token, credential=credential, status=200)
    assert usage_flush() == 4
    assert _counts(credential) == {200: 4}


@pytest.mark.django_db(transaction=True)
def test_the_counts_are_written_within_the_interval_without_a_flush_call(settings, credential_factory, user_factory):
    """The background thread writes them, then ends when calls stop."""
    settings.PROXY_USAGE_FLUSH_SECONDS = 0.05
    owner = user_factory()
    credential = credential_factory(owner=owner)
    token, _ = make_token(owner, USE)

    usage_record(token=token, credential=credential, status=200)
    usage_record(token=token, credential=credential, status=200)

    deadline = time.monotonic() + 10
    while (_counts(credential) != {200: 2} or proxy_usage._flusher is not None) and time.monotonic() < deadline:
        time.sleep(0.02)
    assert _counts(credential) == {200: 2}
    assert proxy_usage._flusher is None  # idle: no thread, no connection held


def test_a_first_use_that_cannot_be_audited_is_not_counted_until_it_is(
    batched, credential_factory, user_factory, monkeypatch
):
    """The count and its first-use audit are written together or not at all: no double count, no lost audit."""
    owner = user_factory()
    credential = credential_factory(owner=owner)
    token, _ = make_token(owner, USE)
    real_audit = proxy_usage.events.proxy_first_use
    failures = iter([OperationalError("database is locked")])

    def audit_after_one_failure(**kwargs):
        if (failure := next(failures, None)) is not None:
            raise failure
        return real_audit(**kwargs)

    monkeypatch.setattr(proxy_usage.events, "proxy_first_use", audit_after_one_failure)
    for _ in range(5):
        usage_record(token=token, credential=credential, status=200)

    assert usage_flush() == 0
    assert (_counts(credential), _first_uses(credential)) == ({}, 0)
    assert usage_flush() == 5
    assert (_counts(credential), _first_uses(credential)) == ({200: 5}, 1)


@pytest.mark.django_db(transaction=True)
def test_the_flush_at_exit_waits_for_the_one_in_progress(batched, credential_factory, user_factory, monkeypatch):
    """A process stopping while its flushing thread writes still leaves every call counted when it ends."""
    owner = user_factory()
    credential = credential_factory(owner=owner)
    token, _ = make_token(owner, USE)
    real_write = proxy_usage._write
    writing = threading.Event()

    def slow_write(*args):
        writing.set()
        time.sleep(0.3)  # a busy database
        real_write(*args)

    monkeypatch.setattr(proxy_usage, "_write", slow_write)
    for _ in range(20):
        usage_record(token=token, credential=credential, status=200)
    in_progress = threading.Thread(target=usage_flush)
    in_progress.start()
    assert writing.wait(5)

    usage_flush()  # what atexit runs
    assert _counts(credential) == {200: 20}
    in_progress.join(5)
