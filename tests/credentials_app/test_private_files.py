"""Files under var/ are private to the account running the app, and a check says when they are not."""
import os
import subprocess
import sys
from pathlib import Path

from credentials_app.system_checks import check_var_permissions
from credentials_app.local_secrets import write_private_file

BASE_DIR = Path(__file__).resolve().parents[2]


def mode(path: Path) -> int:
    return path.stat().st_mode & 0o777


def test_a_first_start_creates_database_wal_and_secrets_private(tmp_path):
    """A fresh var/: folder 0700; database, WAL, shared memory, key file and secret key 0600."""
    var = tmp_path / "var"
    env = {**os.environ, "VAR_DIR": str(var)}
    for name in ("DATABASE_URL", "CREDENTIALS_ENCRYPTION_KEYS", "SECRET_KEY", "CREDENTIALS_ENCRYPTION_KEY_FILE"):
        env.pop(name, None)
    script = (
        "from django.db import connection\n"
        "from credentials_app.key_file import ensure_key_file\n"
        "ensure_key_file()\n"
        "with connection.cursor() as cursor: cursor.execute('CREATE TABLE probe (x)'); cursor.execute('INSERT INTO probe VALUES (1)')\n"
        "import os\n"
        "print(sorted(os.listdir(os.environ['VAR_DIR'])))\n"
        "print(' '.join(oct(os.stat(os.path.join(os.environ['VAR_DIR'], n)).st_mode & 0o777) for n in sorted(os.listdir(os.environ['VAR_DIR']))))\n"
    )
    result = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", script], cwd=BASE_DIR, env=env, capture_output=True, text=True,
        timeout=60, check=True,
    )

    names, modes = result.stdout.strip().splitlines()[-2:]
    assert names == "['db.sqlite3', 'db.sqlite3-shm', 'db.sqlite3-wal', 'encryption.key', 'secret.key']"
    assert set(modes.split()) == {"0o600"}
    assert mode(var) == 0o700


def test_write_private_file_makes_a_private_folder(tmp_path):
    """A secret written into a new folder gets a 0700 folder and a 0600 file."""
    path = tmp_path / "deep" / "var" / "secret.key"
    write_private_file(path, "x")
    assert mode(path) == 0o600
    assert mode(path.parent) == 0o700


def test_files_readable_by_others_are_warned_about(settings, tmp_path):
    """A check names each var/ file or folder other accounts can read, with the chmod that fixes it."""
    var = tmp_path / "var"
    write_private_file(var / "secret.key", "x")
    write_private_file(var / "encryption.key", "k")
    settings.VAR_DIR = var
    settings.CREDENTIALS_ENCRYPTION_KEYS = []
    settings.CREDENTIALS_ENCRYPTION_KEY_FILE = var / "encryption.key"
    assert check_var_permissions() == []

    (var / "encryption.key").chmod(0o644)
    var.chmod(0o755)
    warnings = check_var_permissions()

    assert [warning.id for warning in warnings] == ["credentials.W003", "credentials.W003"]
    assert f"chmod 700 {var}" in [warning.hint for warning in warnings]
    assert f"chmod 600 {var / 'encryption.key'}" in [warning.hint for warning in warnings]
    assert "mode 644" in " ".join(warning.msg for warning in warnings)
