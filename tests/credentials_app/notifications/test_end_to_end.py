"""Done when: a key revoked at the provider is Rejected after a pipeline's failing calls, and its owner gets
one email and one verified webhook saying so, and another of each when it is fixed, for every provider."""
import pytest

from connectors.sandbox import keys
from credentials_app.models import Credential
from credentials_app.models import NotificationChannel
from credentials_app.notifications.outbox import deliver_due
from credentials_app.notifications.senders import new_signing_secret
from credentials_app.services.credentials import credential_replace_key
from tests.credentials_app.machine_support import USE, make_token
from tests.credentials_app.test_proxy_endpoint import call, connector  # noqa: F401  (fixtures)

# The watch (another branch) confirms keys noticed failing in use; until it is merged there is nothing to test.
worker = pytest.importorskip("credentials_app.watch.worker")

pytestmark = pytest.mark.django_db
Status = Credential.Status


def test_a_revoked_key_is_told_once_and_its_fix_once(
    connector, call, credential_factory, user_factory, sandbox, smtp_server, webhook_receiver
):
    """A key revoked at the provider: one email and one verified webhook; fixed: one more of each."""
    owner = user_factory()
    credential = credential_factory(owner=owner, provider=connector.id, key=keys.REJECTED, status=Status.VERIFIED)
    channel = NotificationChannel.objects.create(user=owner, kind=NotificationChannel.Kind.WEBHOOK,
                                                 target=webhook_receiver.at("/hook"), signing_secret=new_signing_secret())
    webhook_receiver.secret = channel.signing_secret
    _, raw = make_token(owner, USE)

    for _ in range(3):
        call(credential, raw)
    worker.Watcher().run_due(plan=False)
    deliver_due()
    deliver_due()

    credential.refresh_from_db()
    assert credential.status == Status.REJECTED
    [email] = smtp_server.messages
    assert "is Rejected" in email["text"] and keys.REJECTED not in email["text"]
    assert [(entry["body"]["type"], entry["verified"]) for entry in webhook_receiver.received] == [
        ("credential.trouble", True)
    ]

    credential_replace_key(credential=credential, key=keys.VALID, actor=owner)
    deliver_due()

    told = [entry["body"]["type"] for entry in webhook_receiver.received]
    assert told.count("credential.recovered") == 1 and told.count("credential.trouble") == 1
    assert sum("works again" in message["text"] for message in smtp_server.messages) == 1
