"""The pipeline box's values: every provider's curl line goes through the proxy with the check's own method."""
import pytest

from connectors.registry import CONNECTORS
from credentials_app.services.pipeline_use import credential_pipeline_snippets


@pytest.mark.parametrize("provider", [connector.id for connector in CONNECTORS])
def test_every_providers_curl_line_uses_the_proxy_and_never_a_key(provider, credential_factory):
    """The curl line names the proxy URL, a token placeholder and the check's method; never the key."""
    credential = credential_factory(provider=provider)
    snippets = {snippet.slug: snippet.text for snippet in credential_pipeline_snippets(
        credential=credential, app_url="https://creds.example.com/"
    )}
    assert snippets["proxy-url"] == f"https://creds.example.com/proxy/{credential.pk}/"
    assert snippets["curl"].startswith('curl -H "Authorization: Bearer $CM_TOKEN" ')
    assert f'"https://creds.example.com/proxy/{credential.pk}/' in snippets["curl"]
    assert ("-X POST" in snippets["curl"]) == (credential.connector.check_method == "POST")
    assert "sandbox_key_valid" not in " ".join(snippets.values())
    assert "airflow-connection-id" not in snippets
