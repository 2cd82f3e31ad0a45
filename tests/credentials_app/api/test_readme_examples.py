"""The README's API examples work as written: its curl block runs against the live app and the sandbox."""
from pathlib import Path
import os
import re
import shutil
import subprocess

import pytest

from connectors.sandbox import keys
from credentials_app.models import Credential, mask_fingerprint
from credentials_app.services.tokens import token_create

README = Path(__file__).resolve().parents[3] / "README.md"


def api_example() -> str:
    """Return the first sh block of the README's API section."""
    section = README.read_text().split("\n## API\n", 1)[1].split("\n## ", 1)[0]
    return re.search(r"```sh\n(.*?)```", section, re.S).group(1)


@pytest.mark.skipif(not (shutil.which("curl") and shutil.which("jq")), reason="needs curl and jq")
@pytest.mark.django_db(transaction=True)
def test_the_readme_curl_examples_run_verbatim(live_server, user_factory, sandbox):
    """Every command succeeds; the credential is created, checked and its history printed."""
    _, raw = token_create(
        creator=user_factory(), name="README", scopes=["credentials:read", "credentials:write", "credentials:check"]
    )
    result = subprocess.run(
        ["bash", "-c", api_example()], capture_output=True, text=True, timeout=60,
        env={**os.environ, "CM_URL": live_server.url, "CM_TOKEN": raw},
    )

    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    assert "humanitix" in lines and "verified" in lines
    assert any(line.startswith(f"Created with key {mask_fingerprint(keys.VALID)}") for line in lines)
    assert Credential.objects.get().name == "Box office"
