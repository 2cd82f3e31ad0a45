"""What a pipeline needs to use a credential: its id, its proxy URL, a curl line, the Airflow settings."""
import json
from dataclasses import dataclass
from urllib.parse import urlencode

from django.conf import settings
from django.urls import reverse

from credentials_app.models import Credential

# Stands for the caller's own token: the page never holds one (each is shown only once, when made).
TOKEN_PLACEHOLDER = "$CM_TOKEN"


@dataclass(frozen=True)
class Snippet:
    """One value to copy: what it is, the text, and a hint where it goes."""

    slug: str
    label: str
    text: str
    hint: str = ""


def _proxy_check_line(credential: Credential, proxy_base: str) -> str:
    """Return a curl line that sends the provider's own cheap check read through the proxy."""
    connector, options = credential.connector, credential.settings_values()
    try:
        path = connector.declared("check_path", options).lstrip("/")
        query = connector.check_query(options)
    except ValueError:  # a stored setting no longer among the choices: the base URL alone still helps
        path, query = "", {}
    url = proxy_base + path + (f"?{urlencode(query)}" if query else "")
    method = "" if connector.check_method == "GET" else f"-X {connector.check_method} "
    body = "" if connector.check_method == "GET" else '-H "Content-Type: application/json" -d @request.json '
    return f'curl -H "Authorization: Bearer {TOKEN_PLACEHOLDER}" {method}{body}"{url}"'


def credential_pipeline_snippets(*, credential: Credential, app_url: str) -> list[Snippet]:
    """Return the values a pipeline copies to use credential, for the app served at app_url.

    The Airflow connection id and settings come only while machine reads are allowed: without
    them a Vault read of this credential is refused.
    """
    app_url = app_url.rstrip("/")
    proxy_base = app_url + reverse("proxy", kwargs={"pk": credential.pk, "path": "x"})[:-1]
    snippets = [
        Snippet("credential-id", "Credential id", str(credential.pk)),
        Snippet(
            "proxy-url", "Proxy base URL", proxy_base,
            f"Add a {credential.connector.name} API path; the proxy adds the key.",
        ),
        Snippet(
            "curl", "Try it with curl", _proxy_check_line(credential, proxy_base),
            "Set CM_TOKEN to an API token with the credentials:use scope.",
        ),
    ]
    if credential.machine_reads_allowed and credential.connection_name:
        backend_kwargs = {
            "url": app_url,
            "token": "cmk_...",
            "mount_point": settings.MACHINE_VAULT_MOUNT,
            "connections_path": settings.MACHINE_VAULT_CONNECTIONS_PATH,
            "kv_engine_version": 2,
        }
        snippets += [
            Snippet("airflow-connection-id", "Airflow connection id", credential.connection_name),
            Snippet(
                "airflow-backend", "Airflow secrets backend",
                "AIRFLOW__SECRETS__BACKEND=airflow.providers.hashicorp.secrets.vault.VaultBackend",
            ),
            Snippet(
                "airflow-backend-kwargs", "Airflow backend settings",
                f"AIRFLOW__SECRETS__BACKEND_KWARGS='{json.dumps(backend_kwargs)}'",
                "Replace cmk_... with a token that has the credentials:read_secret scope.",
            ),
        ]
    return snippets
