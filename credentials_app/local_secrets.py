"""Create and read the per-install secrets kept under var/ when the environment sets none."""
import os
from pathlib import Path


def write_private_file(path: Path, content: str) -> None:
    """Write content to a new file readable only by its owner (mode 0600); never overwrite."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(content)


def read_or_create_secret_key(path: Path) -> str:
    """Return Django's SECRET_KEY from path, creating a random one on first start."""
    if not path.exists():
        from django.core.management.utils import get_random_secret_key

        try:
            write_private_file(path, get_random_secret_key() + "\n")
        except FileExistsError:
            pass  # Another process created it first; read theirs.
    return path.read_text().strip()
