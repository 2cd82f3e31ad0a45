"""Second factors' secrets (an authenticator app's, the recovery codes' seed) are sealed at rest under the
keyring, move with a key rotation, and a lost key is an operator's message, never a crash."""
import base64
import io

import pyotp
import pytest
from allauth.mfa.models import Authenticator
from django.core.management import call_command
from django.db import connection
from django.urls import reverse

from credentials_app import crypto
from credentials_app.crypto import generate_key
from credentials_app.signin.sealed_factors import FactorSecretUnavailable, factor_open

pytestmark = pytest.mark.django_db

PASSWORD = "pw-for-tests-1"
BEFORE_SEALING = ("credentials_app", "0008_two_factor_invitations")
SEALING = ("credentials_app", "0009_seal_second_factor_secrets")


@pytest.fixture
def enrolled(client, user_factory, django_capture_on_commit_callbacks):
    """Return (person, TOTP secret, recovery codes) after adding an authenticator app through the pages."""
    person = user_factory()
    client.force_login(person)
    secret = client.get(reverse("mfa_activate_totp")).context["form"].secret
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(reverse("mfa_activate_totp"), {"code": pyotp.TOTP(secret).now()}).status_code == 302
    codes = client.get(reverse("mfa_view_recovery_codes")).context["unused_codes"]
    client.logout()
    return person, secret, codes


def stored_rows(person) -> str:
    """Return the person's second factors as the database holds them, read with SQL."""
    table = connection.ops.quote_name(Authenticator._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT type, data FROM {table} WHERE user_id = %s ORDER BY type", [person.pk])
        return repr(cursor.fetchall())


def signs_in_with(client, person, code) -> bool:
    """Return whether the password and then code sign person in."""
    client.logout()
    client.post("/accounts/login/", {"username": person.username, "password": PASSWORD})
    client.post(reverse("mfa_authenticate"), {"code": code})
    return client.session.get("_auth_user_id") == str(person.pk)


def test_an_authenticator_apps_secret_and_the_recovery_seed_are_stored_sealed(client, enrolled):
    """The database holds neither the app's secret nor the seed the recovery codes come from; both still sign in."""
    person, secret, codes = enrolled
    seed = Authenticator.objects.get(user=person, type=Authenticator.Type.RECOVERY_CODES).data["seed"]

    stored = stored_rows(person)
    assert secret not in stored
    assert seed.startswith("aesgcm1$") and factor_open(seed) not in stored
    assert Authenticator.objects.get(user=person, type=Authenticator.Type.TOTP).data["secret"].startswith("aesgcm1$")
    assert signs_in_with(client, person, pyotp.TOTP(secret).now())
    assert signs_in_with(client, person, codes[0])


def test_a_sealed_factor_secret_and_a_credential_key_never_open_as_each_other(enrolled, credential_factory):
    """A factor's sealed secret copied onto a credential does not decrypt, nor a credential's key as a factor."""
    person, _, _ = enrolled
    sealed = Authenticator.objects.get(user=person, type=Authenticator.Type.TOTP).data["secret"]
    credential = credential_factory(owner=person)
    key = credential.secret

    credential.secret = sealed
    with pytest.raises(crypto.SecretUnavailable):
        credential.decrypt_key()
    with pytest.raises(FactorSecretUnavailable):
        factor_open(key)


def test_a_key_rotation_moves_second_factors_and_the_old_key_can_go(client, settings, enrolled, encryption_keys):
    """After rotate_encryption_key the old key seals nothing, and without it the app and a recovery code sign in."""
    person, secret, codes = enrolled
    old, new = encryption_keys[0], generate_key()
    settings.CREDENTIALS_ENCRYPTION_KEYS = [new, old]

    out = io.StringIO()
    call_command("rotate_encryption_key", stdout=out)
    call_command("rotate_encryption_key", "--check", stdout=out)

    old_id = crypto.key_id_for(base64.urlsafe_b64decode(old))
    assert "Re-encrypted: 2" in out.getvalue()
    assert f"Key {old_id} (configured): 0 secrets, safe to remove" in out.getvalue()
    settings.CREDENTIALS_ENCRYPTION_KEYS = [new]
    assert signs_in_with(client, person, pyotp.TOTP(secret).now())
    assert signs_in_with(client, person, codes[1])


def test_a_second_factor_whose_key_is_gone_is_an_operators_message_not_a_crash(client, settings, enrolled, caplog):
    """Signing in with an app code whose key left the keyring answers 503, saying an operator must act; the log names the key."""
    person, secret, _ = enrolled
    lost = crypto.key_id_of(Authenticator.objects.get(user=person, type=Authenticator.Type.TOTP).data["secret"])
    settings.CREDENTIALS_ENCRYPTION_KEYS = [generate_key()]

    client.post("/accounts/login/", {"username": person.username, "password": PASSWORD})
    response = client.post(reverse("mfa_authenticate"), {"code": pyotp.TOTP(secret).now()})

    assert response.status_code == 503
    assert "operator" in response.content.decode().lower()
    assert secret not in response.content.decode() and secret not in caplog.text
    assert f"sealed with key {lost}" in caplog.text
    assert client.session.get("_auth_user_id") is None


def test_manage_py_check_names_second_factors_whose_key_is_gone(settings, enrolled):
    """`manage.py check --database default` warns of sealed factors nobody can use, and says what to do."""
    person, _, _ = enrolled
    lost = crypto.key_id_of(Authenticator.objects.get(user=person, type=Authenticator.Type.TOTP).data["secret"])
    settings.CREDENTIALS_ENCRYPTION_KEYS = [generate_key()]
    out = io.StringIO()

    call_command("check", "--database", "default", stdout=out, stderr=out)

    assert f"2 second factor(s) were sealed with key {lost}" in out.getvalue()
    assert "Reset second factors" in out.getvalue()


def test_secrets_stored_in_plaintext_before_sealing_are_sealed_by_the_migration(client, user_factory, migrate_to):
    """Factors allauth stored in plaintext (before this release) are sealed by migrate, still sign in, and unsealed back."""
    person = user_factory()
    secret, seed, migrated = pyotp.random_base32(), "ab" * 40, ["12345678", "87654321"]
    migrate_to(BEFORE_SEALING)
    # One factor of each type a person: the recovery codes imported by allauth's tools belong to another.
    rows = [(person, "totp", {"secret": secret}), (person, "recovery_codes", {"seed": seed, "used_mask": 0}),
            (user_factory(), "recovery_codes", {"migrated_codes": migrated, "used_mask": 0})]
    for owner, kind, data in rows:
        Authenticator.objects.create(user=owner, type=kind, data=data)
    plain = [data for _, _, data in rows]

    migrate_to(SEALING)

    stored = repr(list(Authenticator.objects.order_by("pk").values_list("data", flat=True)))
    assert not any(plaintext in stored for plaintext in [secret, seed, *migrated])
    assert signs_in_with(client, person, pyotp.TOTP(secret).now())
    migrate_to(BEFORE_SEALING)  # the way back, for a downgrade
    assert list(Authenticator.objects.order_by("pk").values_list("data", flat=True)) == plain


def test_an_unopenable_factor_secret_names_its_key_and_the_fix_never_the_secret(enrolled, settings):
    """The error carries the key id and what to do; it is a keyring error, answered as one."""
    person, secret, _ = enrolled
    sealed = Authenticator.objects.get(user=person, type=Authenticator.Type.TOTP).data["secret"]
    settings.CREDENTIALS_ENCRYPTION_KEYS = [generate_key()]

    with pytest.raises(FactorSecretUnavailable) as refusal:
        factor_open(sealed)

    assert crypto.key_id_of(sealed) in str(refusal.value)
    assert "Reset second factors" in str(refusal.value)
    assert secret not in str(refusal.value)
