"""A secret that does not decrypt is shown as such, needs attention, and is offered nowhere."""
import pytest
from django.urls import reverse
from django.utils import timezone

from connectors.sandbox import keys
from credentials_app.services.bulk_recheck import BulkChecker
from credentials_app.models import AuditEvent, Credential, mask_fingerprint
from credentials_app.selectors import CredentialFilter, credential_list, credential_tiles
from credentials_app.services.credentials import credential_check, credential_replace_key

pytestmark = pytest.mark.django_db


def swap_secrets(first: Credential, second: Credential) -> None:
    """Put each credential's ciphertext on the other's row, as a careless restore might."""
    Credential.objects.filter(pk=first.pk).update(secret=second.secret)
    Credential.objects.filter(pk=second.pk).update(secret=first.secret)
    first.refresh_from_db()
    second.refresh_from_db()


@pytest.fixture
def swapped(credential_factory, user_factory):
    owner = user_factory()
    first = credential_factory(owner=owner, name="First", key=keys.VALID)
    second = credential_factory(owner=owner, name="Second", key=keys.VALID)
    swap_secrets(first, second)
    return owner, first, second


def test_a_swapped_secret_is_cant_decrypt_after_a_check_not_verified(swapped, sandbox):
    """Today's fault: a swapped ciphertext kept showing "Verified". A check now says what is wrong."""
    owner, first, _ = swapped
    result = credential_check(credential=first, actor=owner)

    first.refresh_from_db()
    assert first.status == Credential.Status.CANT_DECRYPT
    assert "Can't decrypt" in result.message and "Can't decrypt" in first.status_message
    assert not sandbox.state.requests, "An undecryptable secret is never sent anywhere."
    credential_check(credential=first, actor=owner)
    assert AuditEvent.objects.filter(credential=first, action=AuditEvent.Action.CHECKED).count() == 1


def test_a_scheduled_recheck_marks_it_too(swapped, sandbox):
    _, first, second = swapped
    BulkChecker().run([first, second])
    assert set(Credential.objects.values_list("status", flat=True)) == {Credential.Status.CANT_DECRYPT}


def test_it_needs_attention_and_is_offered_as_no_tile(swapped, sandbox, client):
    owner, first, second = swapped
    credential_check(credential=first, actor=owner)
    Credential.objects.filter(pk=second.pk).update(last_checked_at=timezone.now())

    assert [tile.credential for tile in credential_tiles(owner, "humanitix")] == [second]
    assert list(credential_list(owner, CredentialFilter(needs_attention=True))) == [first.pk]
    client.force_login(owner)
    page = client.get(reverse("authenticate", args=["source", "humanitix"])).content.decode()
    assert "First" not in page and "Second" in page


def test_a_new_key_makes_it_usable_again(swapped, sandbox):
    owner, first, _ = swapped
    credential_check(credential=first, actor=owner)
    credential_replace_key(credential=first, key=keys.VALID, actor=owner)
    first.refresh_from_db()
    assert first.status == Credential.Status.VERIFIED and first.decrypt_key() == keys.VALID


@pytest.mark.parametrize("key, shown", [("abc", ""), ("12345678", ""), ("123456789", "••••6789")])
def test_short_keys_show_no_fingerprint(credential_factory, key, shown):
    """A key of 8 characters or fewer would be half revealed by its last 4: it shows none."""
    assert mask_fingerprint(key) == shown
    assert credential_factory(key=key).masked_fingerprint == shown


def test_a_refused_keys_fingerprint_is_shown_to_managers_only(
    client, credential_factory, user_factory, team_factory, share_factory, sandbox
):
    """Someone who may only use the credential reads that a new key was refused, not which."""
    owner, member = user_factory(), user_factory()
    credential = credential_factory(owner=owner, key=keys.VALID)
    share_factory(credential, team_factory(members=[member]))
    with pytest.raises(Exception):
        credential_replace_key(credential=credential, key="sandbox_key_rejected_7zq9", actor=owner)

    client.force_login(owner)
    assert "New key ••••7zq9 refused" in client.get(reverse("credential_detail", args=[credential.pk])).content.decode()
    client.force_login(member)
    page = client.get(reverse("credential_detail", args=[credential.pk])).content.decode()
    assert "A new key refused" in page and "7zq9" not in page
