"""Start the test identity provider on 127.0.0.1 for one client callback URL."""
import os
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def identity_provider(*, callback: str, folder: Path):
    """Migrate, seed and serve the provider (runserver, own SQLite file in folder); yield its URL."""
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "tests.oidc_idp.settings", "IDP_URL": url,
           "IDP_DB": str(folder / "idp.sqlite3"), "APP_CALLBACK": callback,
           "NO_PROXY": "127.0.0.1,localhost", "no_proxy": "127.0.0.1,localhost"}
    django = [sys.executable, "-m", "django"]
    for command in (["migrate", "-v0"], ["creatersakey"], ["shell", "-c", "import tests.oidc_idp.seed"]):
        subprocess.run([*django, *command], cwd=ROOT, env=env, check=True, capture_output=True, timeout=120)
    server = subprocess.Popen([*django, "runserver", f"127.0.0.1:{port}", "--noreload"], cwd=ROOT, env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(100):
            try:
                if requests.get(f"{url}/.well-known/openid-configuration", timeout=1).ok:
                    break
            except requests.ConnectionError:
                time.sleep(0.2)
        else:
            raise RuntimeError("The test identity provider did not start.")
        yield url
    finally:
        server.terminate()
        server.wait(timeout=10)


def sso_settings(url: str) -> dict:
    """Return SOCIALACCOUNT_PROVIDERS pointing the app at the provider at url."""
    return {"openid_connect": {"OAUTH_PKCE_ENABLED": True, "APPS": [{
        "provider_id": "sso", "name": "Test IdP", "client_id": "credential-manager", "secret": "idp-client-secret",
        "settings": {"server_url": url, "scope": ["openid", "profile", "email", "groups"]},
    }]}}
