"""Health moves: each change of a credential's status is in its history with a time and a cause, and announced."""
import pytest
from django.urls import reverse

from connectors.sandbox import keys
from credentials_app.crypto import generate_key
from credentials_app.models import AuditEvent, Credential
from credentials_app.services.credentials import credential_check, credential_replace_key
from credentials_app import health as signals

pytestmark = pytest.mark.django_db
Status = Credential.Status


def moves(credential):
    return list(
        AuditEvent.objects.filter(credential=credential, action=AuditEvent.Action.HEALTH_CHANGED)
        .values_list("details__old", "details__new")
    )


def test_a_key_revoked_at_the_provider_moves_to_rejected_once(sandbox, credential_factory, user_factory, announced):
    """Check now on a key the provider revoked: Verified → Rejected in the history, announced once, in the transaction."""
    owner = user_factory()
    credential = credential_factory(owner=owner, key=keys.REJECTED, status=Status.VERIFIED)

    credential_check(credential=credential, actor=owner)
    credential_check(credential=credential, actor=owner)

    assert moves(credential) == [("verified", "rejected")]
    [(signal, arguments, in_transaction)] = announced.sent
    assert signal is signals.health_changed and in_transaction
    assert arguments["old"] == Status.VERIFIED and arguments["new"] == Status.REJECTED
    assert arguments["credential"] == credential and arguments["at"] is not None
    assert arguments["cause"].startswith(f"Checked by {owner.username}: Humanitix rejected the key")
    assert keys.REJECTED not in arguments["cause"]


def test_the_move_reads_in_the_credentials_history(sandbox, credential_factory, sign_in, client):
    """The credential's page shows the move, its cause, and no key."""
    owner = sign_in()
    credential = credential_factory(owner=owner, key=keys.REJECTED, status=Status.VERIFIED)
    credential_check(credential=credential, actor=owner)

    page = client.get(reverse("credential_detail", args=[credential.pk])).content.decode()

    assert "Health: Verified → Rejected. Checked by" in page
    assert keys.REJECTED not in page


def test_a_check_that_could_not_be_done_moves_nothing(sandbox, credential_factory, user_factory, announced):
    """A 503 leaves a Verified key Verified: no move, nothing announced."""
    owner = user_factory()
    credential = credential_factory(owner=owner, key=keys.SERVER_ERROR, status=Status.VERIFIED)

    credential_check(credential=credential, actor=owner)

    assert moves(credential) == [] and announced.sent == []


def test_a_replaced_key_is_announced_and_moves_rejected_to_verified(sandbox, credential_factory, user_factory, announced):
    """Replace key on a rejected credential: key_replaced and Rejected → Verified, both inside the transaction."""
    owner = user_factory()
    credential = credential_factory(owner=owner, key=keys.REJECTED, status=Status.REJECTED)

    credential_replace_key(credential=credential, key=keys.VALID, actor=owner)

    assert moves(credential) == [("rejected", "verified")]
    assert [signal for signal, _, _ in announced.sent] == [signals.health_changed, signals.key_replaced]
    assert all(in_transaction for _, _, in_transaction in announced.sent)
    [replaced] = announced.of(signals.key_replaced)
    assert replaced["actor_name"] == owner.username and replaced["credential"] == credential


def test_a_secret_that_no_longer_decrypts_moves_to_cant_decrypt(sandbox, credential_factory, user_factory, settings,
                                                              announced):
    """A check that finds the master key gone moves the credential to Can't decrypt, naming the missing key."""
    owner = user_factory()
    credential = credential_factory(owner=owner, status=Status.VERIFIED)
    settings.CREDENTIALS_ENCRYPTION_KEYS = [generate_key()]

    credential_check(credential=credential, actor=owner)

    assert moves(credential) == [("verified", "cant_decrypt")]
    [arguments] = announced.of(signals.health_changed)
    assert "missing" in arguments["cause"]
