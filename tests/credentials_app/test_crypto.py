"""Encryption at rest: AES-GCM under an identified keyring, bound to each credential."""
import stat

import pytest
from django.core.management import call_command

from credentials_app import crypto
from credentials_app.key_file import ensure_key_file
from credentials_app.system_checks import check_keyring, check_secrets_decryptable

pytestmark = pytest.mark.django_db


def test_stored_value_names_its_key_and_hides_the_plaintext(credential_factory):
    credential = credential_factory(key="marker-key-0001")

    scheme, key_id, payload = credential.secret.split("$")
    assert scheme == "aesgcm1"
    assert key_id == crypto.get_keyring().primary_id == credential.key_id
    assert "marker-key-0001" not in credential.secret
    assert credential.decrypt_key() == "marker-key-0001"


def test_ciphertext_copied_onto_another_credential_does_not_decrypt(credential_factory):
    """A secret moved to another row fails to decrypt instead of leaking the other key."""
    first = credential_factory(key="first-key-1111")
    second = credential_factory(key="second-key-2222")
    second.secret = first.secret
    second.save()

    with pytest.raises(crypto.SecretUnavailable):
        second.decrypt_key()


def test_old_key_still_decrypts_after_a_new_key_is_put_first(settings, credential_factory, encryption_keys):
    credential = credential_factory(key="before-rotation-key")
    settings.CREDENTIALS_ENCRYPTION_KEYS = [crypto.generate_key(), *encryption_keys]

    assert credential.decrypt_key() == "before-rotation-key"
    assert crypto.must_update(credential.secret)


def test_missing_key_gives_a_clear_status_never_garbage(settings, credential_factory):
    credential = credential_factory(key="orphaned-key-3333")
    settings.CREDENTIALS_ENCRYPTION_KEYS = [crypto.generate_key()]

    with pytest.raises(crypto.SecretUnavailable) as raised:
        credential.decrypt_key()
    assert str(raised.value) == f"Can't decrypt: key {credential.key_id} missing"
    assert "orphaned-key-3333" not in str(raised.value)
    assert credential.decrypt_problem == f"Can't decrypt: key {credential.key_id} missing"
    [warning] = check_secrets_decryptable(databases=["default"])
    assert warning.id == "credentials.W002"
    assert f"1 stored credential(s) were encrypted with key {credential.key_id}" in warning.msg


def test_malformed_key_is_reported_by_the_system_check_with_the_fix(settings):
    settings.CREDENTIALS_ENCRYPTION_KEYS = ["not-a-real-key"]

    [error] = check_keyring()
    assert error.id == "credentials.E001"
    assert "generate_encryption_key" in error.msg


def test_without_configured_keys_a_private_key_file_is_created_once(settings, tmp_path, caplog):
    settings.CREDENTIALS_ENCRYPTION_KEYS = []
    settings.CREDENTIALS_ENCRYPTION_KEY_FILE = tmp_path / "var" / "encryption.key"

    ensure_key_file()
    keyring = crypto.get_keyring()

    path = settings.CREDENTIALS_ENCRYPTION_KEY_FILE
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert "Created a new encryption key" in caplog.text
    crypto.get_keyring.cache_clear()
    ensure_key_file()
    assert crypto.get_keyring() == keyring


def test_keys_never_come_from_secret_key(settings, credential_factory):
    """Changing SECRET_KEY (sessions) leaves every stored credential readable under the same key id."""
    settings.SECRET_KEY = "one-secret-key-for-sessions"
    crypto.get_keyring.cache_clear()  # the keyring is cached: rebuild it under this SECRET_KEY
    credential = credential_factory(key="survives-secret-key-change")
    primary_id = crypto.get_keyring().primary_id

    settings.SECRET_KEY = "a-completely-different-secret-key-for-sessions"
    crypto.get_keyring.cache_clear()

    assert crypto.get_keyring().primary_id == primary_id == credential.key_id
    assert credential.decrypt_key() == "survives-secret-key-change"


def test_generate_encryption_key_prints_a_usable_key(settings, capsys):
    call_command("generate_encryption_key")
    key = capsys.readouterr().out.strip()
    settings.CREDENTIALS_ENCRYPTION_KEYS = [key]

    stored = crypto.encrypt("hello", associated_data="x")
    assert crypto.decrypt(stored, associated_data="x") == "hello"


def test_a_broken_keyring_answers_a_clear_message_not_a_traceback(client, settings, user_factory, sandbox):
    """Saving with a malformed key configured stores nothing and says an operator must fix it."""
    import uuid

    from django.urls import reverse

    from credentials_app.models import Credential

    client.force_login(user_factory())
    settings.CREDENTIALS_ENCRYPTION_KEYS = ["broken"]
    response = client.post(
        reverse("credential_add", args=["source", "humanitix"]),
        {"name": "x", "key": "sandbox_key_valid", "creation_token": str(uuid.uuid4())},
        HTTP_ACCEPT="application/json",
    )
    assert response.status_code == 503
    assert "manage.py check" in response.json()["message"]
    assert not Credential.objects.exists()
