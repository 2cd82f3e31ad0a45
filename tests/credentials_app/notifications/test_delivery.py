"""Notifications reach real receivers on loopback: once per event, signed, retried with backoff."""
import socket
import threading
import time
from datetime import timedelta

import ipaddress
import pytest
from django.db import transaction
from django.utils import timezone

from credentials_app.models import Credential, CredentialShare
from credentials_app.models import Notification, NotificationChannel
from credentials_app.notifications.outbox import LEASE, claim_due, deliver_due
from credentials_app.notifications.senders import new_signing_secret
from credentials_app.health import health_changed, key_expiring, key_replaced

Status = Credential.Status
KEY = "sandbox_key_valid"
CAUSE = "Humanitix refused the key (HTTP 401)."


def move(credential, old, new, cause=CAUSE):
    """Record a health move and send the signal inside its transaction, as the watch does."""
    with transaction.atomic():
        credential.status = new
        credential.save(update_fields=["status"])
        health_changed.send(sender=Credential, credential=credential, old=old, new=new, cause=cause, at=timezone.now())


def webhook_channel(receiver, *, user=None, team=None, path="/hooks/abc"):
    channel = NotificationChannel.objects.create(
        user=user, team=team, kind=NotificationChannel.Kind.WEBHOOK, target=receiver.at(path),
        signing_secret=new_signing_secret(),
    )
    receiver.secret = channel.signing_secret
    return channel


@pytest.fixture
def credential(credential_factory):
    return credential_factory(name="Box office", key=KEY, status=Status.VERIFIED)


def test_a_rejected_key_emails_its_owner_once(smtp_server, credential):
    """When a key is rejected, the owner gets one email naming the credential and the cause, never the key."""
    move(credential, Status.VERIFIED, Status.REJECTED)

    assert deliver_due().sent == 1
    assert deliver_due().sent == 0

    [message] = smtp_server.messages
    assert message["to"] == [credential.owner.email]
    assert "Box office is Rejected" in message["text"]
    assert CAUSE in message["text"]
    assert "••••alid" in message["text"]
    assert KEY not in message["text"]


def test_the_webhook_receiver_verifies_the_signature(webhook_receiver, credential):
    """A webhook carries Standard Webhooks headers that the standardwebhooks library verifies."""
    webhook_channel(webhook_receiver, user=credential.owner)
    move(credential, Status.VERIFIED, Status.REJECTED)

    deliver_due()

    [received] = webhook_receiver.received
    assert received["verified"] is True
    assert received["headers"]["webhook-id"].startswith("msg_")
    assert received["body"]["type"] == "credential.trouble"
    assert received["body"]["data"]["new"] == {"status": "rejected", "label": "Rejected"}
    assert received["body"]["data"]["credential"]["fingerprint"] == "alid"
    assert KEY not in str(received)


def test_recovery_sends_another_message(smtp_server, webhook_receiver, credential):
    """A key that works again after trouble is reported once more, as recovered."""
    webhook_channel(webhook_receiver, user=credential.owner)
    move(credential, Status.VERIFIED, Status.REJECTED)
    deliver_due()
    move(credential, Status.REJECTED, Status.VERIFIED, cause="Checked again: the provider accepted the key.")
    deliver_due()

    assert [entry["body"]["type"] for entry in webhook_receiver.received] == ["credential.trouble", "credential.recovered"]
    assert len(smtp_server.messages) == 2
    assert "Box office works again: Verified" in smtp_server.messages[1]["text"]


@pytest.mark.parametrize("old, new", [
    (Status.VERIFIED, Status.RESTRICTED),
    (Status.NOT_VERIFIED, Status.VERIFIED),
    (Status.REJECTED, Status.COULD_NOT_CHECK),
])
def test_moves_that_are_not_into_or_out_of_trouble_tell_no_one(smtp_server, credential, old, new):
    """Only a move into or out of trouble is told: other moves write no message."""
    move(credential, old, new)

    assert not Notification.objects.exists()


def test_an_event_rolled_back_tells_no_one(smtp_server, credential):
    """The message is written with the event: when the event's transaction rolls back, nothing is sent."""
    with pytest.raises(RuntimeError), transaction.atomic():
        health_changed.send(sender=Credential, credential=credential, old=Status.VERIFIED, new=Status.REJECTED,
                            cause=CAUSE, at=timezone.now())
        raise RuntimeError("the move failed")

    assert deliver_due().sent == 0
    assert smtp_server.messages == []


def test_a_failing_receiver_is_retried_with_backoff_and_logged(webhook_receiver, credential, settings, caplog):
    """A receiver answering 500 is tried again after 1, then 2 minutes; the log says why, never the URL's secret."""
    settings.NOTIFICATION_RETRY_SECONDS = 60
    webhook_channel(webhook_receiver, user=credential.owner, path="/hooks/SeCrEtPaTh?token=SeCrEtQuErY")
    webhook_receiver.answer = 500
    move(credential, Status.VERIFIED, Status.REJECTED)
    start = timezone.now()

    assert deliver_due(now=start).retrying == 1
    row = Notification.objects.get()
    assert (row.state, row.attempts, row.last_error) == ("pending", 1, "The receiver answered HTTP 500.")
    assert row.next_attempt_at == start + timedelta(seconds=60)
    assert deliver_due(now=start + timedelta(seconds=30)).retrying == 0  # not due yet

    deliver_due(now=start + timedelta(seconds=61))
    row.refresh_from_db()
    assert row.next_attempt_at == start + timedelta(seconds=61 + 120)

    webhook_receiver.answer = 204
    assert deliver_due(now=start + timedelta(seconds=182)).sent == 1
    row.refresh_from_db()
    assert (row.state, row.attempts, row.last_error) == ("sent", 3, "")
    # Every try is the same message: one webhook-id, so the receiver can drop repeats.
    assert len({entry["headers"]["webhook-id"] for entry in webhook_receiver.received}) == 1
    assert len(webhook_receiver.received) == 3
    assert webhook_receiver.received[0]["path"] == "/hooks/SeCrEtPaTh?token=SeCrEtQuErY"
    assert "SeCrEt" not in caplog.text and "HTTP 500" in caplog.text


def test_a_mail_server_that_never_greets_fails_the_try_after_the_timeout(mail_at, credential):
    """A mail server that takes the connection and says nothing fails the try after NOTIFICATION_TIMEOUT; it is retried."""
    def take_and_say_nothing(server):
        """Accept one connection, stay silent for 5 s, then hang up: without the timeout the try lasts that long."""
        connection, _ = server.accept()
        with connection:
            time.sleep(5)

    with socket.create_server(("127.0.0.1", 0)) as silent:
        threading.Thread(target=take_and_say_nothing, args=(silent,), daemon=True).start()
        mail_at(silent.getsockname()[1], timeout=0.5)
        move(credential, Status.VERIFIED, Status.REJECTED)
        started = time.monotonic()

        assert deliver_due().retrying == 1

        assert time.monotonic() - started < 4
    row = Notification.objects.get()
    # smtplib reports a read that timed out as the server gone.
    assert (row.state, row.last_error) == ("pending", "The mail server did not take it (SMTPServerDisconnected).")


def test_a_receiver_that_never_answers_well_is_given_up(webhook_receiver, credential, settings):
    """After NOTIFICATION_MAX_ATTEMPTS tries the message is marked failed and not tried again."""
    settings.NOTIFICATION_MAX_ATTEMPTS = 2
    webhook_channel(webhook_receiver, user=credential.owner)
    webhook_receiver.answer = 503
    move(credential, Status.VERIFIED, Status.REJECTED)
    later = timezone.now() + timedelta(days=1)

    deliver_due()
    assert deliver_due(now=later).failed == 1
    assert deliver_due(now=later + timedelta(days=1)).failed == 0
    assert Notification.objects.get().state == "failed"
    assert len(webhook_receiver.received) == 2


def test_a_redirect_is_not_followed(webhook_receiver, credential):
    """A receiver answering with a redirect is a failure: the app never follows it elsewhere."""
    webhook_channel(webhook_receiver, user=credential.owner)
    webhook_receiver.answer = 302
    move(credential, Status.VERIFIED, Status.REJECTED)

    deliver_due()

    assert [entry["path"] for entry in webhook_receiver.received] == ["/hooks/abc"]
    assert "redirect" in Notification.objects.get().last_error


def test_a_claimed_message_is_not_claimed_again_until_its_lease_ends(smtp_server, credential):
    """Two workers never take one message at once; one whose worker died is taken again after the lease."""
    move(credential, Status.VERIFIED, Status.REJECTED)
    now = timezone.now()

    assert len(claim_due(limit=10, now=now)) == 1
    assert claim_due(limit=10, now=now) == []
    assert len(claim_due(limit=10, now=now + LEASE + timedelta(seconds=1))) == 1


def test_team_managers_hear_of_a_shared_credential(
    smtp_server, webhook_receiver, credential, user_factory, team_factory, share_factory
):
    """A team's admins and the team's channels hear of a credential shared with it; its plain members do not."""
    admin, member = user_factory(), user_factory()
    team = team_factory(admins=[admin, credential.owner], members=[member])
    share_factory(credential, team, level=CredentialShare.Level.USE)
    NotificationChannel.objects.create(team=team, kind=NotificationChannel.Kind.SLACK,
                                       target=webhook_receiver.at("/services/T1/B2/xyz"))
    move(credential, Status.VERIFIED, Status.CANT_DECRYPT, cause="Can't decrypt: key abc123 missing")

    deliver_due()

    # The owner, also the team's admin, is mailed once.
    assert sorted(message["to"][0] for message in smtp_server.messages) == sorted([credential.owner.email, admin.email])
    [slack] = webhook_receiver.received
    assert "Box office is Can't decrypt" in slack["body"]["text"]


def test_an_owner_who_turned_email_off_gets_none(smtp_server, credential):
    """Email to the owner is on by default with mail configured; turned off, no email is queued."""
    move(credential, Status.VERIFIED, Status.REJECTED)
    NotificationChannel.objects.filter(user=credential.owner, kind="email").update(enabled=False)
    move(credential, Status.REJECTED, Status.VERIFIED)

    deliver_due()

    assert len(smtp_server.messages) == 1


def test_without_mail_configured_no_email_is_queued(settings, credential):
    """With no EMAIL_URL, no email is queued (it could never be sent)."""
    settings.EMAIL_CONFIGURED = False
    move(credential, Status.VERIFIED, Status.REJECTED)

    assert not Notification.objects.exists()


def test_a_replaced_key_and_an_expiring_key_are_told(webhook_receiver, credential):
    """A replaced key and a key about to expire each send one verified webhook saying so."""
    webhook_channel(webhook_receiver, user=credential.owner)
    expires = timezone.now() + timedelta(days=3)
    with transaction.atomic():
        key_replaced.send(sender=Credential, credential=credential, actor_name="alice", at=timezone.now())
    key_expiring.send(sender=Credential, credential=credential, expires_at=expires, days_left=3)

    deliver_due()

    replaced, expiring = (entry["body"] for entry in webhook_receiver.received)
    assert replaced["type"] == "credential.key_replaced" and replaced["data"]["actor"] == "alice"
    assert expiring["type"] == "credential.key_expiring" and expiring["data"]["days_left"] == 3
    assert "expires in 3 days" in expiring["data"]["text"]
    assert all(entry["verified"] for entry in webhook_receiver.received)


def test_the_send_notifications_command_sends_what_is_due(smtp_server, credential):
    """`manage.py send_notifications --once` sends the due messages and says how many."""
    from io import StringIO

    from django.core.management import call_command

    move(credential, Status.VERIFIED, Status.REJECTED)
    out = StringIO()

    call_command("send_notifications", "--once", stdout=out)

    assert out.getvalue().strip() == "1 sent, 0 to retry, 0 given up"
    assert len(smtp_server.messages) == 1


def test_webhooks_go_only_to_a_verified_tls_certificate(credential, sandbox_server, settings, monkeypatch):
    """An HTTPS receiver whose certificate does not verify gets nothing; with its CA trusted, it is reached."""
    settings.NOTIFICATION_ALLOW_PRIVATE_URLS = True
    monkeypatch.delenv("REQUESTS_CA_BUNDLE", raising=False)
    monkeypatch.delenv("CURL_CA_BUNDLE", raising=False)
    NotificationChannel.objects.create(user=credential.owner, kind=NotificationChannel.Kind.WEBHOOK,
                                       target=f"{sandbox_server.url}/hooks/tls", signing_secret=new_signing_secret())
    move(credential, Status.VERIFIED, Status.REJECTED)

    deliver_due()
    row = Notification.objects.get()
    assert row.last_error == "The receiver's TLS certificate could not be verified."

    monkeypatch.setenv("REQUESTS_CA_BUNDLE", sandbox_server.ca_bundle)
    deliver_due(now=row.next_attempt_at)
    row.refresh_from_db()
    # The sandbox is no webhook receiver: any HTTP answer proves the verified TLS connection was made.
    assert row.last_error.startswith("The receiver answered HTTP ")


def test_a_receiver_on_a_private_address_is_refused_unless_allowed(credential, sandbox_server, settings):
    """Without NOTIFICATION_ALLOW_PRIVATE_URLS, an HTTPS URL whose host resolves to a private address is not called."""
    settings.NOTIFICATION_ALLOW_PRIVATE_URLS = False
    sandbox_server.state.requests.clear()
    for host in ("127.0.0.1", "localhost"):
        NotificationChannel.objects.create(user=credential.owner, kind=NotificationChannel.Kind.SLACK,
                                           target=f"https://{host}:{sandbox_server.port}/services/x")
    move(credential, Status.VERIFIED, Status.REJECTED)

    deliver_due()

    errors = [row.last_error for row in Notification.objects.order_by("channel__target_shown")]
    assert [error.split(";")[0] for error in errors] == [
        "127.0.0.1 resolves to a private address", "localhost resolves to a private address",
    ]
    # What a private name resolves to is not told to whoever reads the delivery log.
    assert "127.0.0.1" not in errors[1]
    assert sandbox_server.state.requests == []


@pytest.mark.parametrize("address", ["64:ff9b::7f00:1", "::ffff:10.0.0.1", "2002:a00:1::1", "::127.0.0.1"])
def test_an_ipv6_address_that_carries_a_private_ipv4_one_is_not_public(address):
    """NAT64, mapped, 6to4 and compatible IPv6 addresses reach the IPv4 host they carry: private stays private."""
    from credentials_app.notifications.addresses import _is_public

    assert not _is_public(ipaddress.ip_address(address))
    assert _is_public(ipaddress.ip_address("2606:4700::1111")) and _is_public(ipaddress.ip_address("64:ff9b::808:808"))


def test_a_broken_channel_never_undoes_the_event(credential, caplog, monkeypatch):
    """If queuing a message fails, the event still commits and the failure is logged."""
    from credentials_app.notifications import outbox

    def broken(*args, **kwargs):
        raise RuntimeError("bug")

    monkeypatch.setattr(outbox, "destinations", broken)
    move(credential, Status.VERIFIED, Status.REJECTED)

    credential.refresh_from_db()
    assert credential.status == Status.REJECTED
    assert "No notification queued" in caplog.text
