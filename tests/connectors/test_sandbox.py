"""The provider sandbox: honoured only where allowed, announced on every page, run from the CLI."""
import ast
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import requests
from django.urls import reverse

from connectors.sandbox import keys
from credentials_app.provider_check import http_config, sandbox_active

SANDBOX_DIR = Path(__file__).resolve().parents[2] / "connectors" / "sandbox"


@pytest.fixture
def sandbox_url_set(settings):
    settings.PROVIDER_SANDBOX_URL = "https://127.0.0.1:8443"
    settings.PROVIDER_SANDBOX_CA_BUNDLE = "/tmp/sandbox-ca.pem"
    settings.DEBUG = False
    settings.PROVIDER_SANDBOX_ALLOWED = False
    return settings


def test_sandbox_url_is_ignored_in_production(sandbox_url_set):
    """With DEBUG off and PROVIDER_SANDBOX_ALLOWED unset, a stray sandbox URL diverts no key."""
    assert sandbox_active() is False
    assert http_config().sandbox_url == ""
    assert http_config().sandbox_ca_bundle is None


@pytest.mark.parametrize("switch", ["DEBUG", "PROVIDER_SANDBOX_ALLOWED"])
def test_sandbox_url_is_honoured_with_debug_or_explicit_permission(sandbox_url_set, switch):
    """DEBUG or PROVIDER_SANDBOX_ALLOWED sends checks to the sandbox, verified with its CA."""
    setattr(sandbox_url_set, switch, True)

    assert sandbox_active() is True
    assert http_config().sandbox_url == "https://127.0.0.1:8443"
    assert http_config().sandbox_ca_bundle == "/tmp/sandbox-ca.pem"


def test_no_sandbox_without_a_url(settings):
    """PROVIDER_SANDBOX_ALLOWED alone turns nothing on."""
    settings.PROVIDER_SANDBOX_URL = ""
    settings.PROVIDER_SANDBOX_ALLOWED = True

    assert sandbox_active() is False


@pytest.mark.django_db
@pytest.mark.parametrize("allowed", [True, False])
def test_page_shows_the_sandbox_banner_only_when_active(client, user_factory, sandbox_url_set, allowed):
    """Every page says "Sandbox" while checks go to the emulations, and never otherwise."""
    sandbox_url_set.PROVIDER_SANDBOX_ALLOWED = allowed
    user_factory()

    page = client.get(reverse("login")).content.decode()

    assert ('class="sandbox-banner"' in page) is allowed
    assert ("<strong>Sandbox</strong>" in page) is allowed


def test_sandbox_imports_nothing_from_the_connector_declarations():
    """The emulations follow the providers' documentation, not our connectors' idea of it."""
    for module in SANDBOX_DIR.glob("*.py"):
        tree = ast.parse(module.read_text())
        imported = [node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)]
        imported += [alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names]
        outside = [name for name in imported if name and name.startswith("connectors") and
                   not name.startswith("connectors.sandbox")]
        assert outside == [], f"{module.name} imports {outside}"


@pytest.fixture
def cli(tmp_path):
    """Start `python -m connectors.sandbox` on a free port; return (process, cert_dir); stop it after."""
    started = []

    def start(*extra):
        process = subprocess.Popen(
            [sys.executable, "-m", "connectors.sandbox", "--port", "0", "--cert-dir", str(tmp_path), *extra],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            cwd=SANDBOX_DIR.parents[1],
        )
        started.append(process)
        return process

    yield start
    for process in started:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=10)


@pytest.mark.parametrize("stop_signal", [signal.SIGINT, signal.SIGTERM])
def test_cli_prints_how_to_use_it_serves_and_stops_cleanly(cli, tmp_path, stop_signal):
    """The CLI writes the CA, prints URL, settings and test keys, answers HTTPS, and stops on Ctrl-C/SIGTERM."""
    process = cli()
    first_line = process.stdout.readline()
    assert first_line.startswith("Provider sandbox listening on https://127.0.0.1:")
    url = first_line.split(" on ", 1)[1].strip()
    ca_bundle = tmp_path / "sandbox-ca.pem"

    answer = requests.get(
        f"{url}/api.humanitix.com/v1/events",
        params={"page": 1, "pageSize": 1},
        headers={"x-api-key": keys.VALID},
        verify=str(ca_bundle),
        timeout=10,
    )
    assert answer.status_code == 200

    process.send_signal(stop_signal)
    process.wait(timeout=10)
    # Read on from the same buffer readline filled (communicate() would skip what it holds).
    output = first_line + process.stdout.read()
    errors = process.stderr.read()
    assert process.returncode == 0, errors
    assert f"PROVIDER_SANDBOX_URL={url}" in output
    assert "PROVIDER_SANDBOX_ALLOWED=true" in output
    assert f"PROVIDER_SANDBOX_CA_BUNDLE={ca_bundle}" in output
    for _, key, _ in keys.TABLE:
        assert key in output
    assert output.rstrip().endswith("Provider sandbox stopped.")
    assert "Traceback" not in errors


def test_cli_quiet_prints_nothing(cli, tmp_path):
    """--quiet serves without printing, still writing the CA bundle; the delays are options."""
    process = cli("--quiet", "--slow-seconds", "1", "--trickle-seconds", "0.5")
    ca_bundle = tmp_path / "sandbox-ca.pem"
    for _ in range(100):
        if ca_bundle.exists():
            break
        subprocess.run(["sleep", "0.1"], check=True)

    process.send_signal(signal.SIGTERM)
    output, errors = process.communicate(timeout=10)

    assert process.returncode == 0, errors
    assert ca_bundle.exists()
    assert output == ""


def test_cli_says_so_when_the_port_is_taken(cli, sandbox_server):
    """A port already in use gives a one-line error and exit status 1, not a traceback."""
    process = cli("--port", str(sandbox_server.port))
    output, errors = process.communicate(timeout=20)

    assert process.returncode == 1
    assert "Could not start the provider sandbox" in errors
    assert "Traceback" not in errors


def test_every_sandbox_key_has_its_own_fingerprint():
    """The app shows a key's last four characters; no two sandbox keys share them."""
    test_keys = [key for _, key, _ in keys.TABLE]
    assert len({key[-4:] for key in test_keys}) == len(test_keys)


def test_print_keys_lists_every_test_key_and_exits():
    """`make demo` prints the keys with `--print-keys` before it starts the app."""
    done = subprocess.run(
        [sys.executable, "-m", "connectors.sandbox", "--print-keys"],
        capture_output=True, text=True, cwd=SANDBOX_DIR.parents[1], timeout=30, check=True,
    )
    for _, key, outcome in keys.TABLE:
        assert key in done.stdout and outcome in done.stdout


def test_the_sandbox_control_says_how_to_revoke_when_asked_wrongly(sandbox_server):
    """A revoke without a key, or by GET, is a 400 naming the right call, and revokes nothing."""
    control = f"{sandbox_server.url}/_sandbox"
    for answer in (requests.post(f"{control}/revoke", data=b"nonsense", verify=sandbox_server.ca_bundle, timeout=5),
                   requests.get(f"{control}/revoke", verify=sandbox_server.ca_bundle, timeout=5)):
        assert answer.status_code == 400 and "/_sandbox/revoke" in answer.json()["message"]
    assert sandbox_server.state.revoked == set()
