"""Issue 3 in a real browser: provider settings in the overlay, Custify's 403, and destinations."""
import pytest
from playwright.sync_api import expect

from connectors.sandbox import keys
from credentials_app.models import Connection, Credential
from tests.browser.helpers import label, open_add_dialog

pytestmark = pytest.mark.browser


def test_peopleai_staging_key_is_verified_only_with_staging_chosen(signed_in_page, sandbox, key_watch):
    """A Staging key is rejected on Production with a hint about the Base URL, and verified once Staging is chosen."""
    page = signed_in_page
    dialog = open_add_dialog(page, "source", "peopleai")
    base_url = dialog.get_by_label("Environment")
    expect(base_url.locator("option")).to_have_text(["Production", "Staging", "Mock"])
    expect(base_url.locator("option:checked")).to_have_text("Production")
    dialog.get_by_label("Credential Name").fill("Sales staging")
    dialog.get_by_label("API Key").fill(keys.PEOPLEAI_STAGING)
    dialog.get_by_role("button", name="Save").click()

    expect(dialog.get_by_role("alert")).to_contain_text("People.ai rejected the key for Production")
    expect(dialog.get_by_role("alert")).to_contain_text("Environment")
    assert not Credential.objects.exists()

    base_url.select_option(label="Staging")
    expect(dialog.get_by_label("API Key")).to_have_value(keys.PEOPLEAI_STAGING)
    dialog.get_by_role("button", name="Save").click()
    expect(dialog).to_be_hidden()
    tile = page.locator(".credential-tile", has_text="Sales staging")
    expect(tile.locator(".badge")).to_have_text("Verified")
    credential = Credential.objects.get()
    assert credential.options == {"base_url": "https://api-staging.people.ai/v0/public"}
    key_watch.assert_never_returned(keys.PEOPLEAI_STAGING)


def test_tixy_private_token_is_verified_only_as_a_private_api_token(signed_in_page, sandbox, key_watch):
    """TIXY asks for an "API Token"; a private token passes only with "Private API Token" chosen."""
    page = signed_in_page
    dialog = open_add_dialog(page, "source", "tixy")
    expect(dialog.get_by_label("API Token")).to_have_attribute("type", "password")
    expect(dialog.get_by_label("API Key")).to_have_count(0)
    token_type = dialog.get_by_label("Token Type")
    expect(token_type.locator("option")).to_have_text(["Public API Token", "Private API Token"])
    dialog.get_by_label("Credential Name").fill("TIXY sales")
    dialog.get_by_label("API Token").fill(keys.TIXY_PRIVATE)
    dialog.get_by_role("button", name="Save").click()

    alert = dialog.get_by_role("alert")
    expect(alert).to_contain_text("Access Denied")
    expect(alert).to_contain_text("Private API Token")
    assert not Credential.objects.exists()

    token_type.select_option(label="Private API Token")
    dialog.get_by_role("button", name="Save").click()
    expect(dialog).to_be_hidden()
    expect(page.locator(".credential-tile", has_text="TIXY sales").locator(".badge")).to_have_text("Verified")
    assert Credential.objects.get().options == {"token_type": "private"}
    key_watch.assert_never_returned(keys.TIXY_PRIVATE)


def test_custify_forbidden_key_is_saved_only_after_save_anyway(signed_in_page, sandbox, key_watch):
    """Custify's 403 explains the limit and stores nothing until the user chooses "Save anyway"."""
    page = signed_in_page
    dialog = open_add_dialog(page, "source", "custify")
    dialog.get_by_label("Credential Name").fill("Custify limited")
    dialog.get_by_label("API Key").fill(keys.CUSTIFY_FORBIDDEN)
    dialog.get_by_role("button", name="Save").click()

    expect(dialog.get_by_role("alert")).to_contain_text("Custify accepted the key, but it may not read companies")
    save_anyway = dialog.get_by_role("button", name="Save anyway")
    expect(save_anyway).to_be_visible()
    expect(dialog.get_by_role("button", name="Save without checking")).to_be_hidden()
    assert not Credential.objects.exists()

    save_anyway.click()
    expect(dialog).to_be_hidden()
    tile = page.locator(".credential-tile", has_text="Custify limited")
    expect(tile.get_by_role("radio")).to_be_checked()
    expect(tile.locator(".badge")).to_have_text("Limited access")
    assert Credential.objects.get().name == "Custify limited"
    assert Credential.objects.get().status == Credential.Status.RESTRICTED
    key_watch.assert_never_returned(keys.CUSTIFY_FORBIDDEN)


def test_new_destination_lists_only_custify_and_peopleai(signed_in_page):
    """"New Destination" offers exactly the providers that can be destinations."""
    page = signed_in_page
    page.get_by_role("link", name="New Destination").click()
    expect(page.get_by_role("heading", name="New Destination", exact=True)).to_be_visible()
    expect(page.locator("#provider-tiles .tile-title")).to_have_text(["Custify", "People.ai"])


def test_credential_made_in_the_source_flow_is_selectable_for_a_destination(signed_in_page, sandbox):
    """A Custify credential added while creating a data source can be chosen for a destination."""
    page = signed_in_page
    dialog = open_add_dialog(page, "source", "custify")
    dialog.get_by_label("Credential Name").fill("Custify main")
    dialog.get_by_label("API Key").fill(keys.VALID)
    dialog.get_by_role("button", name="Save").click()
    expect(dialog).to_be_hidden()

    page.goto("/")
    page.get_by_role("link", name="New Destination").click()
    page.get_by_role("link", name="Custify").click()
    expect(page.get_by_role("heading", name="Authenticate Custify")).to_be_visible()
    page.locator(".credential-tile", has_text="Custify main").click()
    page.get_by_role("button", name="Continue").click()
    page.get_by_label(label("Destination Name")).fill("Custify push")
    page.get_by_role("button", name="Create Destination", exact=True).click()

    expect(page.get_by_test_id("connection-credential")).to_have_text("Custify main")
    connection = Connection.objects.get(name="Custify push")
    assert connection.kind == "destination" and connection.credential.name == "Custify main"
