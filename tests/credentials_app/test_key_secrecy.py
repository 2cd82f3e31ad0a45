"""A saved key never comes back: not in HTML, JSON, logs, the audit log, or the database file."""
import ast
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


@pytest.mark.long
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
    ["credentials_app.events._record", "connectors.transport.check.ProviderResponse", "credentials_app.crypto._cipher"],
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


def test_no_api_response_carries_the_key(client, user_factory, sandbox, caplog, team_factory):
    """Every API endpoint, refusals included, answers without the key; logs and the audit log hold none either."""
    from credentials_app.services.tokens import token_create
    from tests.credentials_app.api.conftest import ALL_SCOPES, ApiClient

    caplog.set_level(logging.DEBUG)
    ada = user_factory()
    team = team_factory("Ops", admins=[ada])
    api = ApiClient(client, token_create(creator=ada, name="Leak scan", scopes=ALL_SCOPES)[1])
    body = {"provider": "humanitix", "name": "Box office", "key": MARKER}
    created = api.post("/credentials/", body).json()
    pk = created["id"]
    api.post("/credentials/", body)  # name taken: refused
    api.post("/credentials/", {**body, "name": "Bad", "key": [MARKER]})  # malformed
    api.post("/credentials/", {**body, "name": "Other", "provider": "moshtix"}, headers={"Idempotency-Key": "k"})
    api.post("/credentials/", {**body, "name": "Other", "provider": "moshtix"}, headers={"Idempotency-Key": "k"})
    second = api.post("/credentials/", {**body, "name": "Second"}).json()["id"]
    api.get("/providers/")
    api.get("/credentials/")
    api.get(f"/credentials/{pk}")
    api.patch(f"/credentials/{pk}", json={"name": "Renamed", "description": "Tickets"})
    api.post(f"/credentials/{pk}/key", json={"key": MARKER})
    api.post(f"/credentials/{pk}/key", json={"key": "sandbox_key_rejected"})
    api.post(f"/credentials/{pk}/check")
    api.post(f"/credentials/{pk}/disable")
    api.post(f"/credentials/{pk}/enable")
    api.post(f"/credentials/{pk}/shares", json={"team": str(team.pk), "level": "use"})
    api.get(f"/credentials/{pk}/shares")
    connection = api.post("/connections/", {"kind": "source", "provider": "humanitix", "name": "S",
                                            "credential": pk}).json()["id"]
    api.get("/connections/")
    api.get(f"/connections/{connection}")
    api.delete(f"/credentials/{pk}")  # in use: refused
    api.get(f"/credentials/{pk}/history")
    api.get("/teams/")
    api.post(f"/credentials/{pk}/move-and-delete", json={"replacement": second})
    api.get(f"/credentials/{second}/history")

    assert len(api.responses) >= 25 and all(response.status_code < 500 for response in api.responses)
    for response in api.responses:
        assert MARKER.encode() not in response.content
        assert all(MARKER not in value for value in response.headers.values())
    assert MARKER not in caplog.text
    for event in AuditEvent.objects.all():
        assert MARKER not in json.dumps([event.credential_name, event.actor_name, event.details])
    from credentials_app.models import IdempotencyRecord

    assert IdempotencyRecord.objects.exists()
    assert all(MARKER.encode() not in bytes(record.body) for record in IdempotencyRecord.objects.all())


# What hands out a plaintext key: only services call these, never a view.
KEY_READERS = {"decrypt", "decrypt_key", "machine_key", "proxy_grant", "secret_read"}


def test_no_view_ever_holds_a_plaintext_key():
    """Pages, the API and the machine door's views call services that keep the key to themselves."""
    views = [*(ROOT / "credentials_app" / "views").glob("*.py"), *(ROOT / "credentials_app" / "api").glob("*.py"),
             ROOT / "credentials_app" / "machine" / "views.py"]
    found = {}
    for path in views:
        tree = ast.parse(path.read_text())
        names = {node.attr if isinstance(node, ast.Attribute) else node.id
                 for node in ast.walk(tree) if isinstance(node, (ast.Attribute, ast.Name))}
        if names & KEY_READERS:
            found[path.name] = sorted(names & KEY_READERS)
    assert found == {}
