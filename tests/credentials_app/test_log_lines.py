"""A log line that carries user text stays one line: CR and LF are escaped."""
import os
import subprocess
import sys
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parents[2]

SCRIPT = """
import logging
from django.test import Client
logging.getLogger("credentials_app").warning("Renamed to %s", "Box\\r\\nCRITICAL forged by args")
logging.getLogger("credentials_app").warning("Renamed to " + "Box\\nCRITICAL forged in the message")
Client().get("/static/nothing%0D%0ACRITICAL forged by a path")
"""


def test_user_text_cannot_forge_log_lines(tmp_path):
    """Line breaks from arguments, pre-built messages and request paths appear escaped, never as new lines."""
    env = {**os.environ, "VAR_DIR": str(tmp_path), "DEBUG": "false", "ALLOWED_HOSTS": "testserver"}
    result = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", SCRIPT], cwd=BASE_DIR, env=env, capture_output=True, text=True,
        timeout=60, check=True,
    )

    lines = result.stderr.splitlines()
    assert not [line for line in lines if line.startswith("CRITICAL forged")]
    assert "Renamed to Box\\r\\nCRITICAL forged by args" in lines
    assert "Renamed to Box\\nCRITICAL forged in the message" in lines
    assert "Not Found: /static/nothing\\r\\nCRITICAL forged by a path" in lines
