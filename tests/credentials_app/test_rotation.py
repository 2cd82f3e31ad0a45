"""`manage.py rotate_encryption_key`: move every secret to the first key, online and resumable."""
import base64
import io
import os
import signal
import sqlite3
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.test import override_settings

from connectors.base import Outcome, ValidationResult
from credentials_app import crypto, rotation
from credentials_app.crypto import generate_key
from credentials_app.models import AuditEvent, Credential
from credentials_app.services.credentials import credential_store_key

pytestmark = pytest.mark.django_db
BASE_DIR = Path(__file__).resolve().parents[2]


def key_id(key: str) -> str:
    return crypto.key_id_for(base64.urlsafe_b64decode(key))


def run(*args):
    """Run the command; return (output, error message or "")."""
    out = io.StringIO()
    try:
        call_command("rotate_encryption_key", *args, stdout=out, stderr=io.StringIO())
    except CommandError as error:
        return out.getvalue(), str(error)
    return out.getvalue(), ""


@pytest.fixture
def old_and_new(settings, encryption_keys):
    """Return (old key, new key); the new key is put first, the old one kept after it."""
    old, new = encryption_keys[0], generate_key()

    def put_new_first():
        settings.CREDENTIALS_ENCRYPTION_KEYS = [new, old]

    return old, new, put_new_first


def test_every_secret_is_reencrypted_under_the_new_key_and_still_decrypts(old_and_new, credential_factory):
    """After rotation every secret is under the first key, decrypts without the old key, and one event says so."""
    old, new, put_new_first = old_and_new
    credentials = [credential_factory(key=f"key-number-{n}") for n in range(5)]
    put_new_first()

    output, error = run("--batch-size", "2")

    assert error == ""
    assert "Re-encrypted: 5" in output.splitlines()
    with override_settings(CREDENTIALS_ENCRYPTION_KEYS=[new]):
        for n, credential in enumerate(credentials):
            credential.refresh_from_db()
            assert credential.key_id == key_id(new) == crypto.key_id_of(credential.secret)
            assert credential.decrypt_key() == f"key-number-{n}"
    event = AuditEvent.objects.get(action=AuditEvent.Action.MASTER_KEY_ROTATED)
    assert event.credential is None and event.credential_name == "(all credentials)"
    assert event.actor_name == "system"
    assert event.details == {"from_key_ids": [key_id(old)], "to_key_id": key_id(new), "count": 5}
    assert old not in output and new not in output

    output, _ = run()
    assert "Re-encrypted: 0" in output.splitlines()
    assert AuditEvent.objects.filter(action=AuditEvent.Action.MASTER_KEY_ROTATED).count() == 1


def test_check_counts_secrets_per_key_and_says_when_an_old_key_can_go(old_and_new, credential_factory):
    """--check lists each key id with its count; an old key is "safe to remove" once it protects nothing."""
    old, new, put_new_first = old_and_new
    credential_factory()
    credential_factory()
    put_new_first()

    output, _ = run("--check")
    assert output.splitlines() == [
        f"Key {key_id(new)} (primary): 0 secrets, new secrets are encrypted with it",
        f"Key {key_id(old)} (configured): 2 secrets, still needed: run rotate_encryption_key",
    ]

    run()
    output, _ = run("--check")
    assert f"Key {key_id(old)} (configured): 0 secrets, safe to remove" in output.splitlines()

    with override_settings(CREDENTIALS_ENCRYPTION_KEYS=[generate_key()]):
        output, _ = run("--check")
    missing = key_id(new)
    assert (
        f"Key {missing} (missing from CREDENTIALS_ENCRYPTION_KEYS): 2 secrets, Can't decrypt: key {missing} missing"
        in output.splitlines()
    )


def test_secrets_whose_key_is_missing_are_skipped_and_reported(settings, old_and_new, credential_factory):
    """A secret under a key no longer configured is left exactly as it was and counted; the rest rotate."""
    old, new, put_new_first = old_and_new
    settings.CREDENTIALS_ENCRYPTION_KEYS = [lost := generate_key()]
    orphans = [credential_factory(), credential_factory()]
    settings.CREDENTIALS_ENCRYPTION_KEYS = [old]
    kept = credential_factory(key="kept-key")
    put_new_first()

    output, error = run("--batch-size", "1")

    assert f"Skipped, Can't decrypt: key {key_id(lost)} missing: 2" in output.splitlines()
    assert "2 secrets could not be decrypted" in error
    for orphan in orphans:
        assert Credential.objects.get(pk=orphan.pk).secret == orphan.secret
    kept.refresh_from_db()
    assert kept.key_id == key_id(new) and kept.decrypt_key() == "kept-key"


def test_a_key_replaced_while_its_batch_is_in_flight_is_not_overwritten(old_and_new, credential_factory, user_factory):
    """The write is a compare-and-swap: a key the app replaced after the batch was read stays replaced."""
    old, new, put_new_first = old_and_new
    replaced = credential_factory(key="first-key")
    untouched = credential_factory(key="other-key")
    put_new_first()
    report = rotation.RotationReport(to_key_id=key_id(new))
    rows = rotation.fetch_batch(primary_id=key_id(new), size=10)
    updates = rotation.reseal_batch(rows, report)

    credential_store_key(
        credential=Credential.objects.get(pk=replaced.pk),
        key="second-key",
        result=ValidationResult(Outcome.VERIFIED, "Accepted."),
        actor=user_factory(),
    )
    written = rotation.write_batch(updates, key_id(new))

    assert written == 1
    assert Credential.objects.get(pk=replaced.pk).decrypt_key() == "second-key"
    assert Credential.objects.get(pk=untouched.pk).decrypt_key() == "other-key"


# --- Killed mid-run: a child process on its own SQLite file --------------------------------------


def _child_env(tmp_path: Path, keys: list[str]) -> dict:
    env = {name: value for name, value in os.environ.items() if not name.startswith(("DATABASE_", "PYTEST"))}
    env.update(
        DJANGO_SETTINGS_MODULE="credentials_app.config.settings",
        DATABASE_URL=f"sqlite:///{tmp_path / 'child.sqlite3'}",
        VAR_DIR=str(tmp_path),
        CREDENTIALS_ENCRYPTION_KEYS=",".join(keys),
        PYTHONUNBUFFERED="1",
    )
    return env


def _manage(env, *args, **kwargs):
    return subprocess.run([sys.executable, "manage.py", *args], cwd=BASE_DIR, env=env, capture_output=True,
                          text=True, timeout=120, **kwargs)


# Migrates first: one process where two would each spend a second starting.
_CREATE_ROWS = """
from django.core.management import call_command
call_command("migrate", interactive=False, verbosity=0)
from django.contrib.auth import get_user_model
from credentials_app.models import Credential
owner = get_user_model().objects.create_user("rotation-owner")
rows = []
for n in range({count}):
    credential = Credential(owner=owner, provider="humanitix", name=f"Credential {{n}}")
    credential.set_key(f"secret-of-{{n}}")
    rows.append(credential)
Credential.objects.bulk_create(rows)
"""


def _stored_rows(tmp_path: Path) -> list[tuple]:
    with sqlite3.connect(tmp_path / "child.sqlite3") as db:
        return db.execute("SELECT id, name, secret, key_id FROM credentials_app_credential").fetchall()


def _assert_all_decrypt(rows):
    for pk, name, secret, _ in rows:
        plaintext = crypto.decrypt(secret, associated_data=f"credential:{uuid.UUID(pk)}")
        assert plaintext == f"secret-of-{name.removeprefix('Credential ')}"


@pytest.mark.long
def test_a_rotation_killed_mid_run_loses_nothing_and_resumes(tmp_path, settings):
    """SIGKILL after a committed batch: every secret still decrypts, and a second run finishes the job."""
    old, new = generate_key(), generate_key()
    count = 300
    env = _child_env(tmp_path, [old])
    created = _manage(env, "shell", "-c", _CREATE_ROWS.format(count=count))
    assert created.returncode == 0, created.stderr

    env = _child_env(tmp_path, [new, old])
    child = subprocess.Popen(
        [sys.executable, "manage.py", "rotate_encryption_key", "--batch-size", "10", "--pause", "0.05"],
        cwd=BASE_DIR, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
    )
    try:
        for line in child.stdout:
            if line.startswith("Re-encrypted 10 of"):
                break  # the first batch is committed: kill while the next ones are under way
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=30)
    finally:
        child.kill()
        child.stdout.close()

    settings.CREDENTIALS_ENCRYPTION_KEYS = [new, old]
    rows = _stored_rows(tmp_path)
    rotated = sum(1 for row in rows if row[3] == key_id(new))
    assert len(rows) == count and 10 <= rotated < count
    _assert_all_decrypt(rows)

    finished = _manage(env, "rotate_encryption_key", "--batch-size", "50")
    assert finished.returncode == 0, finished.stderr
    assert f"Re-encrypted: {count - rotated}" in finished.stdout.splitlines()
    settings.CREDENTIALS_ENCRYPTION_KEYS = [new]
    rows = _stored_rows(tmp_path)
    assert {row[3] for row in rows} == {key_id(new)}
    _assert_all_decrypt(rows)


@pytest.mark.django_db
def test_rotation_shows_in_each_credentials_history(client, settings, credential_factory, encryption_keys):
    """A credential's page lists the master-key rotation it went through, without any secret."""
    from django.core.management import call_command
    from django.urls import reverse

    from credentials_app.crypto import generate_key, get_keyring

    credential = credential_factory(key="history-marker-key-42")
    settings.CREDENTIALS_ENCRYPTION_KEYS = [generate_key(), *encryption_keys]
    call_command("rotate_encryption_key", verbosity=0)
    client.force_login(credential.owner)

    page = client.get(reverse("credential_detail", args=[credential.pk])).content.decode()

    assert f"Master key rotated: secrets re-encrypted under key {get_keyring().primary_id}" in page
    assert "history-marker-key-42" not in page
