"""Delivery workers: several at once send each message once; one in a thread stops when asked."""
import threading
import time
from collections import Counter

import pytest
from django.db import connection, transaction
from django.utils import timezone

from credentials_app.models import Credential
from credentials_app.models import NotificationChannel
from credentials_app.notifications.outbox import deliver_due, deliver_forever
from credentials_app.notifications.senders import new_signing_secret
from credentials_app.health import health_changed

Status = Credential.Status


# The test database on SQLite is in memory with a shared cache, where a second writer fails at once
# ("table is locked") instead of waiting as it does on the file database the app uses.
@pytest.mark.skipif(connection.vendor == "sqlite", reason="concurrent writers need PostgreSQL's test database")
@pytest.mark.django_db(transaction=True)
def test_three_workers_send_each_message_once(webhook_receiver, credential_factory):
    """Three workers draining one outbox at once send each of 30 messages exactly once."""
    owner = credential_factory().owner
    channel = NotificationChannel.objects.create(user=owner, kind=NotificationChannel.Kind.WEBHOOK,
                                                 target=webhook_receiver.at("/hook"), signing_secret=new_signing_secret())
    webhook_receiver.secret = channel.signing_secret
    for number in range(30):
        credential = credential_factory(owner=owner, name=f"Box office {number}")
        with transaction.atomic():
            health_changed.send(sender=Credential, credential=credential, old=Status.VERIFIED, new=Status.REJECTED,
                                cause="Refused.", at=timezone.now())
    errors = []

    def work():
        try:
            while deliver_due(limit=2).sent:
                pass
        except Exception as error:  # noqa: BLE001  (reported by the assertion below)
            errors.append(error)
        finally:
            connection.close()

    workers = [threading.Thread(target=work) for _ in range(3)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=60)

    assert errors == []
    ids = Counter(entry["headers"]["webhook-id"] for entry in webhook_receiver.received)
    assert len(ids) == 30 and set(ids.values()) == {1}
    assert all(entry["verified"] for entry in webhook_receiver.received)


@pytest.mark.django_db(transaction=True)
def test_a_delivery_thread_sends_what_is_due_and_stops_when_asked(smtp_server, credential_factory):
    """deliver_forever, in a thread beside other work, sends the due message once, then stops on request."""
    credential = credential_factory()
    with transaction.atomic():
        health_changed.send(sender=Credential, credential=credential, old=Status.VERIFIED, new=Status.REJECTED,
                            cause="Refused.", at=timezone.now())
    stop = threading.Event()
    thread = threading.Thread(target=deliver_forever, kwargs={"stop": stop, "interval": 0.05})
    thread.start()
    try:
        for _ in range(100):
            if smtp_server.messages:
                break
            time.sleep(0.05)
        time.sleep(0.2)  # a few more rounds: none may send it again
    finally:
        stop.set()
        thread.join(timeout=10)

    assert not thread.is_alive()
    assert [message["to"] for message in smtp_server.messages] == [[credential.owner.email]]


@pytest.mark.django_db(transaction=True)
def test_a_delivery_thread_sends_a_move_queued_in_its_process_without_waiting_its_interval(smtp_server, credential_factory):
    """The watch's delivery thread, idle for minutes, sends a rejection queued in its process as it commits."""
    credential = credential_factory()
    stop = threading.Event()
    thread = threading.Thread(target=deliver_forever, kwargs={"stop": stop, "interval": 600})
    thread.start()
    try:
        time.sleep(0.3)  # its first round found nothing: it now idles for its interval
        with transaction.atomic():
            health_changed.send(sender=Credential, credential=credential, old=Status.VERIFIED, new=Status.REJECTED,
                                cause="Refused.", at=timezone.now())
        for _ in range(200):
            if smtp_server.messages:
                break
            time.sleep(0.05)
    finally:
        stop.set()
        thread.join(timeout=10)

    assert [message["to"] for message in smtp_server.messages] == [[credential.owner.email]]
    assert not thread.is_alive()
