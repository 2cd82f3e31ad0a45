"""Machine use one copy away: the credential page's pipeline box, the token shown once, the API docs."""
import json

import pytest
from playwright.sync_api import expect

from credentials_app.models import ApiToken, CredentialShare

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
SHOTS = "/tmp/h22"


@pytest.fixture
def context_options():
    """Let the page write to and the test read from the clipboard."""
    return {"permissions": ["clipboard-read", "clipboard-write"]}


def clipboard(page) -> str:
    return page.evaluate("navigator.clipboard.readText()")


def test_the_pipeline_box_copies_the_id_proxy_url_and_curl_line(signed_in_page, user, credential_factory, live_server):
    """A user of a credential copies its id, proxy base URL and a curl line with one click each."""
    credential = credential_factory(owner=user, name="Box office")
    page = signed_in_page
    page.set_viewport_size(PHONE)
    page.goto(f"/credentials/{credential.pk}/")
    box = page.get_by_role("group", name="Use from a pipeline")
    expect(box).to_be_visible()
    box.screenshot(path=f"{SHOTS}/pipeline-box-390.png")

    box.get_by_role("button", name="Copy", exact=True).first.click()
    assert clipboard(page) == str(credential.pk)
    expect(box.get_by_role("button", name="Copied")).to_be_visible()
    proxy = box.get_by_test_id("copy-proxy-url")
    expect(proxy).to_have_text(f"{live_server.url}/proxy/{credential.pk}/")
    proxy.locator("xpath=..").get_by_role("button").click()
    assert clipboard(page) == f"{live_server.url}/proxy/{credential.pk}/"
    curl = box.get_by_test_id("copy-curl")
    curl.locator("xpath=..").get_by_role("button").click()
    assert clipboard(page) == (
        f'curl -H "Authorization: Bearer $CM_TOKEN" "{live_server.url}/proxy/{credential.pk}/v1/events?page=1&pageSize=1"'
    )
    # No Airflow lines while machine reads are off: a Vault read would be refused.
    expect(box.get_by_text("Airflow connection id")).to_have_count(0)
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


def test_a_team_member_who_may_use_it_copies_the_airflow_settings(
    signed_in_page, user, user_factory, credential_factory, team_factory, share_factory, live_server
):
    """With machine reads on, a "Can use" member copies the connection id and both Airflow settings."""
    owner = user_factory("owner")
    credential = credential_factory(owner=owner, name="Sales", machine_reads_allowed=True, connection_name="box-office")
    share_factory(credential, team_factory("Data", admins=[owner], members=[user]), level=CredentialShare.Level.USE)
    page = signed_in_page
    page.goto(f"/credentials/{credential.pk}/")
    box = page.get_by_role("group", name="Use from a pipeline")
    for slug, expected in [
        ("airflow-connection-id", "box-office"),
        ("airflow-backend", "AIRFLOW__SECRETS__BACKEND=airflow.providers.hashicorp.secrets.vault.VaultBackend"),
    ]:
        box.get_by_test_id(f"copy-{slug}").locator("xpath=..").get_by_role("button").click()
        assert clipboard(page) == expected
    box.get_by_test_id("copy-airflow-backend-kwargs").locator("xpath=..").get_by_role("button").click()
    name, _, value = clipboard(page).partition("=")
    assert name == "AIRFLOW__SECRETS__BACKEND_KWARGS"
    assert json.loads(value.strip("'")) == {
        "url": live_server.url, "token": "cmk_...", "mount_point": "secret",
        "connections_path": "connections", "kv_engine_version": 2,
    }


def test_a_new_token_is_shown_once_in_a_panel_with_copy_and_a_reload_makes_no_second(signed_in_page):
    """Create a token at 390 px: a panel shows it with Copy and "I have copied it"; a reload shows no token."""
    page = signed_in_page
    page.set_viewport_size(PHONE)
    page.goto("/tokens/")
    page.get_by_label("Token name").fill("Nightly export")
    page.get_by_role("button", name="Create token").click()
    panel = page.get_by_role("region", name="Token “Nightly export” created")
    expect(panel).to_be_visible()
    panel.screenshot(path=f"{SHOTS}/token-panel-390.png")
    panel.get_by_role("button", name="Copy").click()
    raw = clipboard(page)
    assert raw.startswith("cmk_") and len(raw) > 40
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]

    page.reload()
    expect(page.get_by_text("shown only this once")).to_have_count(0)
    assert ApiToken.objects.count() == 1

    page.get_by_label("Token name").fill("Nightly export")
    page.get_by_role("button", name="Create token").click()
    expect(page.get_by_test_id("duplicate-name")).to_contain_text("another live token named “Nightly export”")
    page.get_by_role("link", name="I have copied it").click()
    expect(page.get_by_test_id("token-panel")).to_have_count(0)
    assert raw not in page.content()
