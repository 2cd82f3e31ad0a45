"""Slack and webhook URLs and webhooks' signing secrets are sealed at rest under the keyring, move with a key
rotation, and a channel whose key is gone still lists, says why it cannot send, and is named by the checks."""
import base64
import io
import uuid

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.db import connection, transaction
from django.utils import timezone

from credentials_app import crypto
from credentials_app.crypto import generate_key
from credentials_app.health import health_changed
from credentials_app.models import Credential, Notification, NotificationChannel
from credentials_app.notifications.outbox import deliver_due
from credentials_app.notifications.services import channel_create

pytestmark = pytest.mark.django_db
Kind = NotificationChannel.Kind
BEFORE_SEALING = ("credentials_app", "0009_seal_second_factor_secrets")
SEALING = ("credentials_app", "0010_seal_notification_channel_secrets")


def stored_channels() -> str:
    """Return every channel row as the database holds it, read with SQL."""
    table = connection.ops.quote_name(NotificationChannel._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {table}")
        return repr(cursor.fetchall())


def reject(credential):
    with transaction.atomic():
        credential.status = Credential.Status.REJECTED
        credential.save(update_fields=["status"])
        health_changed.send(sender=Credential, credential=credential, old="verified", new="rejected",
                            cause="Refused (HTTP 401).", at=timezone.now())


@pytest.fixture
def webhook(webhook_receiver, credential_factory):
    """Return (credential, its owner's webhook channel) with the receiver verifying the channel's signatures."""
    credential = credential_factory(name="Box office")
    channel = channel_create(kind=Kind.WEBHOOK, url=webhook_receiver.at("/hooks/SeCrEtPaTh?token=SeCrEtQuErY"),
                             user=credential.owner)
    webhook_receiver.secret = channel.signing_secret
    return credential, channel


def test_a_webhooks_url_and_signing_secret_are_stored_sealed_and_still_deliver(client, webhook, webhook_receiver):
    """The database holds neither the URL's path nor the signing secret; the page shows the host; messages verify."""
    credential, channel = webhook
    client.force_login(credential.owner)

    stored = stored_channels()
    assert "SeCrEt" not in stored and channel.signing_secret not in stored
    page = client.get("/notifications/").content.decode()
    assert f"http://127.0.0.1:{webhook_receiver.server.server_port}/…" in page and "SeCrEt" not in page
    reject(credential)
    assert deliver_due().sent == 1
    [received] = webhook_receiver.received
    assert received["verified"] is True and received["path"] == "/hooks/SeCrEtPaTh?token=SeCrEtQuErY"


def test_the_same_url_twice_is_refused_though_stored_sealed(webhook_receiver, user_factory):
    """A sealed URL is found by its digest: adding it again to the same person is refused."""
    person = user_factory()
    url = webhook_receiver.at("/hooks/one")
    channel_create(kind=Kind.SLACK, url=url, user=person)

    with pytest.raises(ValidationError, match="already a channel here"):
        channel_create(kind=Kind.SLACK, url=url, user=person)


def test_a_key_rotation_moves_channels_and_the_old_key_can_go(settings, webhook, webhook_receiver, encryption_keys):
    """After rotate_encryption_key no channel needs the old key; without it, the webhook still delivers, verified."""
    credential, _ = webhook
    old, new = encryption_keys[0], generate_key()
    settings.CREDENTIALS_ENCRYPTION_KEYS = [new, old]
    out = io.StringIO()

    call_command("rotate_encryption_key", stdout=out)
    call_command("rotate_encryption_key", "--check", stdout=out)

    old_id, new_id = (crypto.key_id_for(base64.urlsafe_b64decode(key)) for key in (old, new))
    assert f"Key {old_id} (configured): 0 secrets, safe to remove" in out.getvalue()
    assert stored_channels().count(f"aesgcm1${new_id}$") == 2  # the URL and the signing secret
    settings.CREDENTIALS_ENCRYPTION_KEYS = [new]
    reject(credential)
    assert deliver_due().sent == 1
    assert webhook_receiver.received[0]["verified"] is True


def test_a_channel_whose_key_is_gone_lists_says_why_it_cannot_send_and_is_named_by_check(
    client, settings, webhook, webhook_receiver
):
    """The page still lists it by host; its message fails naming the key; `check --database default` names it."""
    credential, _ = webhook
    lost = crypto.get_keyring().primary_id  # the key that sealed the channel
    settings.CREDENTIALS_ENCRYPTION_KEYS = [generate_key()]
    client.force_login(credential.owner)

    assert f"http://127.0.0.1:{webhook_receiver.server.server_port}/…" in client.get("/notifications/").content.decode()
    reject(credential)
    assert deliver_due().retrying == 1
    assert Notification.objects.get().last_error.startswith(f"This channel cannot be decrypted: key {lost} is missing")
    out = io.StringIO()
    call_command("check", "--database", "default", stdout=out, stderr=out)
    assert f"1 notification channel(s) were sealed with key {lost}" in out.getvalue()


def test_keys_that_cannot_be_read_fail_the_message_and_keep_the_sender_running(settings, tmp_path, webhook):
    """With the key file gone, a channel's message fails saying the keys are unavailable; nothing is raised."""
    credential, _ = webhook
    settings.CREDENTIALS_ENCRYPTION_KEYS = []
    settings.CREDENTIALS_ENCRYPTION_KEY_FILE = tmp_path / "gone.key"
    reject(credential)

    assert deliver_due().retrying == 1

    assert "the encryption keys cannot be read" in Notification.objects.get().last_error


def test_a_channel_read_without_its_key_and_saved_keeps_its_url(settings, webhook, encryption_keys):
    """Saved while its key is gone (turned off, say), a channel is not sealed twice: with the key back, it opens."""
    _, channel = webhook
    url, shown = channel.target, channel.display_target
    settings.CREDENTIALS_ENCRYPTION_KEYS = [generate_key()]

    unopened = NotificationChannel.objects.get(pk=channel.pk)
    unopened.enabled = False
    unopened.save()

    settings.CREDENTIALS_ENCRYPTION_KEYS = encryption_keys
    reread = NotificationChannel.objects.get(pk=channel.pk)
    assert (reread.target, reread.display_target, reread.enabled) == (url, shown, False)


def test_a_rotation_leaves_a_channel_whose_key_is_gone_and_says_so(settings, webhook):
    """rotate_encryption_key skips a channel it cannot open, names why, and fails so the old key is kept."""
    lost = crypto.get_keyring().primary_id
    settings.CREDENTIALS_ENCRYPTION_KEYS = [generate_key()]
    out = io.StringIO()

    with pytest.raises(CommandError, match="could not be decrypted"):
        call_command("rotate_encryption_key", stdout=out)

    assert f"Skipped, Can't decrypt: key {lost} missing: 2" in out.getvalue()  # the credential, and the channel


def test_channels_stored_in_plaintext_before_sealing_are_sealed_by_the_migration(settings, user_factory, migrate_to):
    """Channels stored in plaintext (before this release) are sealed by migrate, still found, and unsealed back."""
    person = user_factory()
    url, secret = "https://hooks.example.com/in/SeCrEtPaTh", "whsec_c2VjcmV0c2VjcmV0c2VjcmV0"
    keys = settings.CREDENTIALS_ENCRYPTION_KEYS
    migrate_to(BEFORE_SEALING)
    table = connection.ops.quote_name(NotificationChannel._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (id, user_id, kind, target, signing_secret, enabled, created_at) "
            "VALUES (%s, %s, 'webhook', %s, %s, %s, %s)",
            [uuid.uuid4().hex, person.pk, url, secret, True, timezone.now()],
        )

    migrate_to(SEALING)

    assert "SeCrEt" not in stored_channels() and secret not in stored_channels()
    channel = NotificationChannel.objects.get(user=person)
    assert (channel.target, channel.signing_secret, channel.display_target) == (
        url, secret, "https://hooks.example.com/…")
    with pytest.raises(ValidationError, match="already a channel here"):
        channel_create(kind=Kind.WEBHOOK, url=url, user=person)
    settings.CREDENTIALS_ENCRYPTION_KEYS = [generate_key()]
    with pytest.raises(RuntimeError, match=f"Notification channel {channel.pk} does not open"):
        migrate_to(BEFORE_SEALING)  # a key gone stops the way back
    settings.CREDENTIALS_ENCRYPTION_KEYS = keys
    migrate_to(BEFORE_SEALING)  # the way back, for a downgrade
    assert "SeCrEtPaTh" in stored_channels() and secret in stored_channels()
