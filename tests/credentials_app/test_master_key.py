"""A missing key file never quietly strands the stored credentials."""
import pytest
from django.core.management import call_command
from django.core.management.base import SystemCheckError

from credentials_app import crypto
from credentials_app.key_file import ensure_key_file

pytestmark = pytest.mark.django_db


@pytest.fixture
def use_key_file(settings, tmp_path):
    """Return a function that switches to the (missing) key file under a fresh var/, returning its path."""

    def switch():
        settings.CREDENTIALS_ENCRYPTION_KEYS = []
        settings.CREDENTIALS_ENCRYPTION_KEY_FILE = tmp_path / "var" / "encryption.key"
        return settings.CREDENTIALS_ENCRYPTION_KEY_FILE

    return switch


def test_a_missing_key_file_with_stored_secrets_is_an_error_naming_file_count_and_fix(
    credential_factory, use_key_file
):
    """With two secrets stored and the key file gone, no key is made and the error says what to do."""
    credential_factory()
    credential_factory()
    key_file_only = use_key_file()

    with pytest.raises(crypto.KeyringError) as refusal:
        ensure_key_file()

    message = str(refusal.value)
    assert str(key_file_only) in message
    assert "holds 2 secret(s)" in message
    assert "Restore" in message and "CREDENTIALS_ENCRYPTION_KEYS" in message
    assert not key_file_only.exists()


def seal_a_second_factor(user_factory):
    from allauth.mfa.models import Authenticator

    from credentials_app.signin.sealed_factors import factor_seal

    Authenticator.objects.create(user=user_factory(), type=Authenticator.Type.TOTP, data={"secret": factor_seal("S")})


def seal_a_webhook(user_factory):
    from credentials_app.notifications.services import channel_create

    channel_create(kind="webhook", url="https://hooks.example.com/in/x", user=user_factory())


@pytest.mark.parametrize("store", [seal_a_second_factor, seal_a_webhook], ids=["second factor", "webhook"])
def test_a_missing_key_file_with_only_other_secrets_sealed_is_an_error(user_factory, use_key_file, store):
    """No credential, but a second factor or a channel sealed: a lost key file is an error, never a new key."""
    store(user_factory)
    key_file_only = use_key_file()

    with pytest.raises(crypto.KeyringError) as refusal:
        ensure_key_file()

    assert "holds 1 secret(s)" in str(refusal.value)
    assert not key_file_only.exists()


def test_manage_py_check_reports_the_missing_key_file(credential_factory, use_key_file):
    """`manage.py check` fails with the error instead of creating a key and saying "no issues"."""
    credential_factory()
    key_file_only = use_key_file()

    with pytest.raises(SystemCheckError) as failure:
        call_command("check")

    assert "credentials.E001" in str(failure.value)
    assert str(key_file_only) in str(failure.value)
    assert not key_file_only.exists()


def test_a_fresh_install_gets_a_private_key_file(use_key_file):
    """With no secret stored, the first start creates the key file, readable only by its owner."""
    key_file_only = use_key_file()
    ensure_key_file()
    keyring = crypto.get_keyring()

    assert key_file_only.exists()
    assert key_file_only.stat().st_mode & 0o777 == 0o600
    assert keyring.primary_id in keyring.keys


def test_an_existing_key_file_keeps_working_with_secrets_stored(credential_factory, use_key_file):
    """The check applies only when the file is missing: a present file is read as before."""
    use_key_file()
    ensure_key_file()
    credential = credential_factory(key="sandbox_key_valid")
    crypto.get_keyring.cache_clear()

    assert credential.decrypt_key() == "sandbox_key_valid"


def test_while_the_key_file_is_missing_pages_say_what_is_stranded_and_the_fix(
    client, credential_factory, use_key_file, user_factory
):
    """A page that needs the key answers 503; to staff it names the file, the stored secrets and the fix."""
    owner = user_factory(is_staff=True)
    credential_factory(owner=owner)
    key_file_only = use_key_file()
    client.force_login(owner)

    response = client.get("/credentials/")

    assert response.status_code == 503
    page = response.content.decode()
    assert str(key_file_only) in page and "holds 1 secret(s)" in page and "Restore" in page
    assert not key_file_only.exists()


def test_reading_keys_never_creates_a_key_file(use_key_file):
    """The crypto module only reads: with no file, asking for the keyring says it is missing."""
    key_file_only = use_key_file()

    with pytest.raises(crypto.KeyFileMissing):
        crypto.get_keyring()
    assert not key_file_only.exists()
