"""The Add Credential overlay reopens clean, and a running check shows how long it has taken and may take."""
import pytest
from playwright.sync_api import expect

from connectors.sandbox import keys
from credentials_app.models import Credential
from tests.browser.helpers import open_add_dialog

pytestmark = pytest.mark.browser


def close_with(page, dialog, how):
    if how == "Esc":
        page.keyboard.press("Escape")
    elif how == "×":
        dialog.get_by_role("button", name="Close").click()
    else:
        dialog.get_by_role("button", name="Cancel").click()
    expect(dialog).to_be_hidden()


@pytest.mark.parametrize("how", ["Cancel", "×", "Esc"])
def test_reopening_after_closing_starts_clean(signed_in_page, sandbox, how):
    """After a refused save, closing and reopening shows no error, no typed value and no key."""
    page = signed_in_page
    dialog = open_add_dialog(page)
    dialog.get_by_label("Credential Description").fill("Weekly sales")
    dialog.get_by_label("API Key").fill(keys.REJECTED)
    dialog.get_by_role("button", name="Save", exact=True).click()  # no name: refused, field marked
    expect(dialog.locator("[data-form-alert]")).to_be_visible()
    expect(dialog.get_by_label("Credential Name")).to_have_attribute("aria-invalid", "true")

    close_with(page, dialog, how)
    page.get_by_role("button", name="Add Credential").click()
    expect(dialog).to_be_visible()
    expect(dialog.get_by_label("API Key")).to_have_value("")
    expect(dialog.get_by_label("Credential Name")).to_have_value("")
    expect(dialog.get_by_label("Credential Description")).to_have_value("")
    expect(dialog.locator("[data-form-alert]")).to_be_hidden()
    expect(dialog.locator("[aria-invalid=true]")).to_have_count(0)
    expect(dialog.locator(".field-error:visible")).to_have_count(0)

    # The cleaned form still saves: its hidden fields (CSRF, creation token) survived.
    dialog.get_by_label("Credential Name").fill("Box office")
    dialog.get_by_label("API Key").fill(keys.VALID)
    dialog.get_by_role("button", name="Save", exact=True).click()
    expect(dialog).to_be_hidden()
    assert Credential.objects.filter(name="Box office").count() == 1


def test_a_long_check_shows_elapsed_seconds_and_the_deadline(signed_in_page, sandbox, settings):
    """While a slow provider is checked, the spinner counts seconds up to the check's deadline."""
    settings.CONNECTOR_CONNECT_TIMEOUT = 5.0
    settings.CONNECTOR_READ_TIMEOUT = 3.0  # the slow key answers after 2 s, within it
    page = signed_in_page
    dialog = open_add_dialog(page)
    expect(dialog).to_have_attribute("data-check-deadline", "8")
    dialog.get_by_label("Credential Name").fill("Slow box office")
    dialog.get_by_label("API Key").fill(keys.SLOW)
    dialog.get_by_role("button", name="Save", exact=True).click()
    progress = dialog.locator("[data-progress]")
    expect(progress).to_contain_text("0 s of at most 8 s")
    expect(progress).to_contain_text("1 s of at most 8 s")
    expect(progress).to_contain_text("This can take up to 8 seconds.")
    expect(progress).to_be_hidden(timeout=15_000)


def test_sandbox_keys_fill_the_key_field(signed_in_page, sandbox):
    """While the sandbox is on, "Sandbox keys" lists its test keys; choosing one fills API Key and saves."""
    page = signed_in_page
    dialog = open_add_dialog(page)
    dialog.get_by_text("Sandbox keys").click()
    dialog.get_by_role("button", name=keys.VALID, exact=True).click()
    expect(dialog.get_by_label("API Key")).to_have_value(keys.VALID)
    expect(dialog.get_by_label("API Key")).to_be_focused()
    dialog.get_by_label("Credential Name").fill("Demo")
    dialog.get_by_role("button", name="Save", exact=True).click()
    expect(dialog).to_be_hidden()
    assert Credential.objects.get(name="Demo").status == Credential.Status.VERIFIED


def test_no_sandbox_keys_without_the_sandbox(signed_in_page):
    dialog = open_add_dialog(signed_in_page)
    expect(dialog.get_by_text("Sandbox keys")).to_have_count(0)
