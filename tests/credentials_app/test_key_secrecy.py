"""A saved key never comes back: not in HTML, JSON, logs, the audit log, or the database file."""
import json
import logging
import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from django.urls import reverse

from credentials_app.models import AuditEvent, Credential

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[2]
MARKER = "sandbox_key_valid"


def test_key_appears_in_no_response_log_line_or_audit_event(client, user_factory, sandbox, caplog):
    """Walk the whole flow with DEBUG logging on; the key shows up nowhere but encrypted."""
    caplog.set_level(logging.DEBUG)
    user = user_factory()
    client.force_login(user)
    bodies = []
    created = client.post(
        reverse("credential_add", args=["source", "humanitix"]),
        {"name": "Box office", "key": MARKER, "creation_token": str(uuid.uuid4())},
    )
    assert created.status_code == 201
    credential = Credential.objects.get()
    bodies.append(created.content)
    for url in [
        reverse("home"),
        reverse("authenticate", args=["source", "humanitix"]),
        reverse("catalog", args=["source"]),
    ]:
        bodies.append(client.get(url).content)
    named = client.post(
        reverse("authenticate", args=["source", "humanitix"]),
        {"credential": str(credential.pk), "name": "Weekly events", "creation_token": str(uuid.uuid4())},
        follow=True,
    )
    bodies.append(named.content)

    assert credential.decrypt_key() == MARKER
    for body in bodies:
        assert MARKER.encode() not in body
    assert MARKER not in caplog.text
    for event in AuditEvent.objects.all():
        assert MARKER not in json.dumps([event.credential_name, event.actor_name, event.details])


def test_sqlite_file_holds_no_key_in_plaintext(tmp_path):
    """Store a credential in a real SQLite file, then read the raw bytes of the database."""
    marker = "plaintext-marker-7f3a9c"
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "VAR_DIR": str(tmp_path),
        "CREDENTIALS_ENCRYPTION_KEYS": "",
    }
    manage = [sys.executable, str(ROOT / "manage.py")]
    subprocess.run([*manage, "migrate", "--noinput", "-v0"], env=env, check=True, cwd=ROOT)
    script = (
        "from django.contrib.auth.models import User;"
        "from credentials_app.models import Credential;"
        "u = User.objects.create_user('owner');"
        "c = Credential(owner=u, provider='humanitix', name='Raw bytes');"
        f"c.set_key('{marker}'); c.save();"
        f"assert Credential.objects.get().decrypt_key() == '{marker}'"
    )
    subprocess.run([*manage, "shell", "-c", script], env=env, check=True, cwd=ROOT)

    raw = b"".join(path.read_bytes() for path in tmp_path.glob("db.sqlite3*"))
    assert b"Raw bytes" in raw  # the row really is in the file
    assert marker.encode() not in raw
    assert (tmp_path / "encryption.key").exists()


def test_pages_carry_a_content_security_policy(client, user_factory):
    client.force_login(user_factory())
    policy = client.get(reverse("home")).headers["Content-Security-Policy"]
    assert "script-src 'self'" in policy
    assert "unsafe-inline" not in policy


@pytest.mark.parametrize(
    "failing",
    ["credentials_app.events._record", "connectors.http.ProviderResponse", "credentials_app.crypto._cipher"],
)
def test_debug_error_page_never_shows_the_key(client, settings, user_factory, sandbox, monkeypatch, failing):
    """A crash mid-save with DEBUG on renders Django's error page without the key in any frame."""
    settings.DEBUG = True
    client.raise_request_exception = False
    client.force_login(user_factory())

    def crash(*args, **kwargs):
        raise RuntimeError("injected failure")

    monkeypatch.setattr(failing, crash)
    response = client.post(
        reverse("credential_add", args=["source", "humanitix"]),
        {"name": "Crash", "key": MARKER, "creation_token": str(uuid.uuid4())},
    )

    assert response.status_code == 500
    page = response.content.decode()
    assert "injected failure" in page and "Traceback" in page
    assert MARKER not in page
    assert "Keyring(" not in page  # the master keys live there
    assert settings.CREDENTIALS_ENCRYPTION_KEYS[0] not in page
