"""Fixtures for the watch: a recorder of what it announces."""
import pytest
from django.db import transaction

from credentials_app import health as signals


class Announcements:
    """Every watch signal sent while a test runs, with whether it came inside a transaction."""

    def __init__(self):
        self.sent = []

    def __call__(self, signal, sender, **arguments):
        in_transaction = transaction.get_connection().in_atomic_block
        self.sent.append((signal, arguments, in_transaction))

    def of(self, signal):
        return [arguments for sent, arguments, _ in self.sent if sent is signal]


@pytest.fixture
def announced():
    """Return the recorder of health_changed, key_replaced and key_expiring while the test runs."""
    recorder = Announcements()
    watched = (signals.health_changed, signals.key_replaced, signals.key_expiring)
    for signal in watched:
        signal.connect(recorder, weak=False, dispatch_uid=f"test-{id(recorder)}")
    yield recorder
    for signal in watched:
        signal.disconnect(dispatch_uid=f"test-{id(recorder)}")
