"""Every registered provider, in every flow it serves, from the home page to a connection, in Chromium."""
import pytest
from playwright.sync_api import expect

from connectors.registry import CONNECTORS
from connectors.sandbox import keys
from connectors.transport.check import check_key
from credentials_app.provider_check import http_config
from credentials_app.models import Connection, Credential
from tests.browser.helpers import label

pytestmark = pytest.mark.browser
FLOWS = {"source": ("New Data Source", "Data Source"), "destination": ("New Destination", "Destination")}

@pytest.mark.parametrize(
    "connector, kind",
    [(connector, kind) for connector in CONNECTORS for kind in connector.kinds],
    ids=lambda value: getattr(value, "id", value),
)
def test_provider_goes_from_refusal_to_a_verified_credential_and_a_connection(
    signed_in_page, sandbox, key_watch, connector, kind
):
    """A refused key gets the provider's own message; the valid one becomes a selected, verified tile."""
    new_label, kind_label = FLOWS[kind]
    page = signed_in_page
    page.goto("/")
    page.get_by_role("link", name=new_label).click()
    page.get_by_role("link", name=connector.name).click()
    expect(page.get_by_role("heading", name=f"Authenticate {connector.name}")).to_be_visible()
    page.get_by_role("button", name="Add Credential").click()
    dialog = page.get_by_role("dialog", name="Add New Credential")
    dialog.get_by_label(label("Credential Name")).fill(f"{connector.name} main")
    secret = dialog.get_by_label(label(connector.key_label))

    secret.fill(keys.REJECTED)
    dialog.get_by_role("button", name="Save").click()
    # What the provider's refusal says, in its own terms, as the connector's check words it.
    refusal = check_key(connector, keys.REJECTED, connector.clean_options({}), http_config()).message
    expect(dialog.get_by_role("alert").first).to_contain_text(refusal.split(". ")[0])
    assert not Credential.objects.exists()

    secret.fill(keys.VALID)
    dialog.get_by_role("button", name="Save").click()
    expect(dialog).to_be_hidden()
    tile = page.locator(".credential-tile", has_text=f"{connector.name} main")
    expect(tile.get_by_role("radio")).to_be_checked()
    expect(tile.locator(".badge")).to_have_text("Verified")

    page.get_by_role("button", name="Continue").click()
    page.get_by_label(label(f"{kind_label} Name")).fill(f"{connector.name} {kind}")
    page.get_by_role("button", name=f"Create {kind_label}", exact=True).click()
    expect(page.get_by_test_id("connection-credential")).to_have_text(f"{connector.name} main")
    connection = Connection.objects.get()
    assert (connection.provider, connection.kind) == (connector.id, kind)
    assert connection.credential.decrypt_key() == keys.VALID
    assert keys.VALID not in page.content() and keys.REJECTED not in page.content()
    key_watch.assert_never_returned(keys.VALID)
    key_watch.assert_never_returned(keys.REJECTED)
