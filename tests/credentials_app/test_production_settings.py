"""Production settings come from the environment: the README's set passes `check --deploy` cleanly."""
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.urls import reverse

from credentials_app.crypto import generate_key

BASE_DIR = Path(__file__).resolve().parents[2]


def readme_production_settings() -> dict[str, str]:
    """Return the README's production block as variables, its <placeholders> filled with real values."""
    block = (BASE_DIR / "README.md").read_text().split("```sh\n# Production\n", 1)[1].split("```", 1)[0]
    production = dict(line.split("=", 1) for line in block.splitlines() if "=" in line)
    production.update(SECRET_KEY=secrets.token_urlsafe(50), CREDENTIALS_ENCRYPTION_KEYS=generate_key())
    return production


def test_check_deploy_with_the_readme_production_settings_reports_nothing(tmp_path):
    """`manage.py check --deploy` under the README's production variables finds 0 issues."""
    production = readme_production_settings()
    assert {"SECURE_HSTS_SECONDS", "SECURE_SSL_REDIRECT", "SESSION_COOKIE_SECURE"} <= set(production)
    # Only these variables: anything else in the test run's environment is not production's.
    env = {"PATH": os.environ["PATH"], **production, "VAR_DIR": str(tmp_path)}

    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=BASE_DIR, env=env, capture_output=True, text=True, timeout=60,
    )

    assert result.returncode == 0, result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout


def test_https_proxy_header_is_opt_in(settings):
    """Without SECURE_PROXY_SSL_HEADER set, no forwarded header is trusted."""
    assert settings.SECURE_PROXY_SSL_HEADER is None


@pytest.mark.django_db
@pytest.mark.parametrize("page", ["home", "credential_list", "team_list"])
def test_signed_in_pages_are_never_stored_by_caches(client, user_factory, page):
    """Pages for a signed-in user carry Cache-Control: no-store."""
    client.force_login(user_factory())
    response = client.get(reverse(page))
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]


@pytest.mark.django_db
def test_a_credential_page_is_never_stored_by_caches(client, user_factory, credential_factory):
    """The credential's own page, with its fingerprint and history, is no-store too."""
    user = user_factory()
    credential = credential_factory(owner=user)
    client.force_login(user)
    response = client.get(reverse("credential_detail", args=[credential.pk]))
    assert "no-store" in response["Cache-Control"]


@pytest.mark.parametrize("local_sign_in, passkey_login", [("everyone", True), ("owner", False)])
def test_passkey_sign_in_is_a_local_sign_in_off_when_only_the_owner_signs_in_locally(tmp_path, local_sign_in, passkey_login):
    """With LOCAL_SIGN_IN=owner nobody signs in with a passkey alone: its sign-in page does not exist."""
    env = {"PATH": os.environ["PATH"], "VAR_DIR": str(tmp_path), "LOCAL_SIGN_IN": local_sign_in,
           "CREDENTIALS_ENCRYPTION_KEYS": generate_key()}
    probe = ("from django.urls import NoReverseMatch, reverse\n"
             "try:\n    reverse('mfa_login_webauthn'); print('present')\n"
             "except NoReverseMatch:\n    print('absent')\n")

    result = subprocess.run([sys.executable, "manage.py", "shell", "-c", probe], cwd=BASE_DIR, env=env,
                            capture_output=True, text=True, timeout=60)

    assert result.stdout.strip().splitlines()[-1] == ("present" if passkey_login else "absent"), result.stderr
