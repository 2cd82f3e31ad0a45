"""Create and read the per-install secrets kept under var/ when the environment sets none.

Everything under var/ (database, its WAL, keys, secret key) is private to the account running
the app: files are created mode 0600 in a folder created mode 0700.
"""
import os
from pathlib import Path


def make_private_directory(path: Path) -> None:
    """Create path (and missing parents) readable only by its owner (mode 0700); keep an existing one."""
    path.mkdir(mode=0o700, parents=True, exist_ok=True)


def write_private_file(path: Path, content: str) -> None:
    """Write content to a new file readable only by its owner (mode 0600); never overwrite."""
    make_private_directory(path.parent)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(content)


def create_private_file(path: Path) -> None:
    """Create path empty with mode 0600 unless it exists, so whoever fills it later keeps it private."""
    try:
        write_private_file(path, "")
    except FileExistsError:
        pass


def read_or_create_secret_key(path: Path) -> str:
    """Return Django's SECRET_KEY from path, creating a random one on first start."""
    if not path.exists():
        from django.core.management.utils import get_random_secret_key

        try:
            write_private_file(path, get_random_secret_key() + "\n")
        except FileExistsError:
            pass  # Another process created it first; read theirs.
    return path.read_text().strip()
