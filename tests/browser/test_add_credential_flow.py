"""Issue 2 in a real browser: New Data Source → Humanitix → Add Credential → Continue."""
import json

import pytest
from playwright.sync_api import expect

from connectors.registry import connectors_for
from connectors.sandbox import keys
from credentials_app.models import Connection, Credential
from tests.browser.helpers import label, open_add_dialog, tab_to

pytestmark = pytest.mark.browser


def open_humanitix(page):
    page.goto("/connect/source/humanitix/")


def fill_and_save(
    dialog, *, name="Box office", description="Reads events for the weekly report", key=keys.VALID, double_click=False
):
    dialog.get_by_label("Credential Name").fill(name)
    dialog.get_by_label("Credential Description").fill(description)
    dialog.get_by_label("API Key").fill(key)
    save = dialog.get_by_role("button", name="Save")
    save.dblclick() if double_click else save.click()


def test_new_data_source_catalog_filters_tiles_and_opens_humanitix(signed_in_page):
    """Home leads to a searchable catalog; typing filters the tiles; Humanitix opens its Authenticate screen."""
    page = signed_in_page
    page.get_by_role("link", name="New Data Source").click()
    tiles = page.locator("#provider-tiles .provider-tile")
    expect(tiles).to_have_count(len(connectors_for("source")))

    page.get_by_role("searchbox", name="Search providers").fill("humani")
    expect(tiles.filter(visible=True)).to_have_count(1)
    page.get_by_role("searchbox", name="Search providers").fill("zzz")
    expect(tiles.filter(visible=True)).to_have_count(0)
    expect(page.get_by_text("No provider matches “zzz”.")).to_be_visible()
    page.get_by_role("searchbox", name="Search providers").fill("")
    expect(tiles.filter(visible=True)).to_have_count(len(connectors_for("source")))

    expect(page.get_by_role("heading", name="New Data Source", exact=True)).to_be_visible()
    page.get_by_role("link", name="Humanitix").click()
    expect(page.get_by_role("heading", name="Authenticate Humanitix")).to_be_visible()
    expect(page.get_by_role("link", name="New Data Source", exact=True)).to_be_visible()
    expect(page.get_by_role("button", name="Add Credential")).to_be_visible()


def test_authenticate_screen_shows_a_tile_per_usable_credential(signed_in_page, user, credential_factory):
    """Each usable credential shows its name, description, status badge and when it was last checked."""
    from django.utils import timezone

    credential_factory(owner=user, name="Verified one", description="Main account", last_checked_at=timezone.now())
    credential_factory(owner=user, name="Unchecked one", status=Credential.Status.NOT_VERIFIED)
    credential_factory(owner=user, name="Refused one", status=Credential.Status.REJECTED)
    credential_factory(name="Someone else's")  # another owner, not shared: never shown
    credential_factory(owner=user, provider="custify", name="Other provider")

    page = signed_in_page
    open_humanitix(page)
    tiles = page.locator(".credential-tile")
    expect(tiles).to_have_count(3)
    verified = tiles.filter(has_text="Verified one")
    expect(verified).to_contain_text("Main account")
    expect(verified.locator(".badge")).to_have_text("Verified")
    expect(verified).to_contain_text("Checked")
    expect(tiles.filter(has_text="Unchecked one").locator(".badge")).to_have_text("Not verified")
    expect(tiles.filter(has_text="Unchecked one")).to_contain_text("Never checked")
    expect(tiles.filter(has_text="Refused one").locator(".badge")).to_have_text("Rejected")
    expect(page.get_by_text("Someone else's")).to_have_count(0)


def test_dialog_fields_and_closing_with_cancel_and_escape(signed_in_page):
    """The overlay has the documented fields; Cancel and Esc close it and give focus back."""
    page = signed_in_page
    dialog = open_add_dialog(page)
    name = dialog.get_by_label("Credential Name")
    expect(name).to_be_focused()
    expect(name).to_have_attribute("required", "")
    expect(dialog.get_by_label("Credential Description")).not_to_have_attribute("required", "")
    expect(dialog.get_by_label("Credential Description")).to_have_accessible_description(
        "A description helps others understand what this credential is for."
    )
    expect(dialog.get_by_label("API Key")).to_have_attribute("type", "password")
    expect(dialog.get_by_role("button", name="Save")).to_be_visible()

    dialog.get_by_role("button", name="Cancel").click()
    expect(dialog).to_be_hidden()
    expect(page.get_by_role("button", name="Add Credential")).to_be_focused()

    page.get_by_role("button", name="Add Credential").click()
    expect(dialog).to_be_visible()
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    expect(page.get_by_role("button", name="Add Credential")).to_be_focused()


def test_saving_shows_progress_then_selects_the_new_tile_without_reload(signed_in_page, sandbox, settings, key_watch):
    """Save shows "Checking with Humanitix…" while the check runs; the new tile then appears selected, in place."""
    settings.CONNECTOR_READ_TIMEOUT = 5.0
    sandbox.state.slow_seconds = 1.0  # the slow key answers (validly) after 1 s: long enough to see
    page = signed_in_page
    try:
        page.goto("/connect/source/humanitix/")
        page.evaluate("window.__noReload = 'still here'")
        page.get_by_role("button", name="Add Credential").click()
        dialog = page.get_by_role("dialog", name="Add New Credential")
        fill_and_save(dialog, key=keys.SLOW)

        progress = dialog.get_by_role("status")
        expect(progress).to_be_visible()
        expect(progress).to_contain_text("Checking with Humanitix…")
        expect(dialog.get_by_role("button", name="Save")).to_be_disabled()

        expect(dialog).to_be_hidden()
    finally:
        sandbox.state.slow_seconds = 2.0
    tile = page.locator(".credential-tile", has_text="Box office")
    expect(tile.get_by_role("radio")).to_be_checked()
    expect(tile.locator(".badge")).to_have_text("Verified")
    expect(tile).to_contain_text("Reads events for the weekly report")
    expect(tile).to_contain_text("Checked just now")
    assert page.evaluate("window.__noReload") == "still here"
    assert Credential.objects.get(name="Box office").status == Credential.Status.VERIFIED
    assert keys.SLOW not in page.content()
    key_watch.assert_never_returned(keys.SLOW)


def test_continue_names_the_data_source_and_its_page_shows_the_credential(signed_in_page, sandbox, key_watch):
    """After adding a credential, Continue asks for the data source's name; its page names the credential."""
    page = signed_in_page
    dialog = open_add_dialog(page)
    fill_and_save(dialog)
    expect(dialog).to_be_hidden()

    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", name="Name your Humanitix data source")).to_be_visible()
    page.get_by_label(label("Data Source Name")).fill("Weekly events")
    page.get_by_role("button", name="Create Data Source", exact=True).click()

    expect(page.get_by_role("heading", name="Weekly events")).to_be_visible()
    expect(page.get_by_role("status")).to_have_text("Data Source “Weekly events” created.")
    expect(page.get_by_test_id("connection-credential")).to_have_text("Box office")
    connection = Connection.objects.get(name="Weekly events")
    assert connection.credential.name == "Box office" and connection.kind == "source"
    page.get_by_role("link", name="Back to connections").click()
    expect(page.get_by_role("row", name="Weekly events")).to_contain_text("Humanitix")
    expect(page.get_by_role("row", name="Weekly events")).to_contain_text("Box office")
    assert keys.VALID not in page.content()
    key_watch.assert_never_returned(keys.VALID)


def test_continue_without_a_selection_asks_to_select_one(signed_in_page):
    """Continue with no tile selected says to select a credential first."""
    page = signed_in_page
    open_humanitix(page)
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("alert")).to_have_text("Select a credential first.")


def test_rejected_key_keeps_everything_typed_and_stores_nothing(signed_in_page, sandbox, key_watch):
    """A refused key stores nothing; the overlay stays open with every field, the key too, and says what to do."""
    page = signed_in_page
    dialog = open_add_dialog(page)
    fill_and_save(dialog, key=keys.REJECTED)

    alert = dialog.get_by_role("alert")
    expect(alert).to_contain_text("Humanitix rejected the key (Invalid API Key)")
    expect(alert).to_contain_text("Account > Advanced > Public API Key")
    expect(alert).to_be_focused()
    expect(dialog).to_be_visible()
    expect(dialog.get_by_label("Credential Name")).to_have_value("Box office")
    expect(dialog.get_by_label("Credential Description")).to_have_value("Reads events for the weekly report")
    expect(dialog.get_by_label("API Key")).to_have_value(keys.REJECTED)
    expect(dialog.get_by_role("button", name="Save without checking")).to_be_hidden()
    assert not Credential.objects.exists()
    assert keys.REJECTED not in page.content()
    key_watch.assert_never_returned(keys.REJECTED)


def test_could_not_check_offers_save_without_checking(signed_in_page, sandbox, key_watch):
    """A 503 from Humanitix stores nothing and offers "Save without checking", which stores it as Could not check."""
    page = signed_in_page
    dialog = open_add_dialog(page)
    fill_and_save(dialog, key=keys.SERVER_ERROR)

    alert = dialog.get_by_role("alert")
    expect(alert).to_contain_text("Humanitix had a server error (HTTP 503)")
    expect(alert).to_contain_text("Save without checking")
    assert not Credential.objects.exists()
    expect(dialog.get_by_label("API Key")).to_have_value(keys.SERVER_ERROR)

    dialog.get_by_role("button", name="Save without checking").click()
    expect(dialog).to_be_hidden()
    tile = page.locator(".credential-tile", has_text="Box office")
    expect(tile.locator(".badge")).to_have_text("Could not check")
    expect(tile).not_to_contain_text("Never checked")
    expect(tile.get_by_role("radio")).to_be_checked()
    assert Credential.objects.get().status == Credential.Status.COULD_NOT_CHECK
    assert keys.SERVER_ERROR not in page.content()
    key_watch.assert_never_returned(keys.SERVER_ERROR)


def test_double_clicked_save_creates_one_credential(signed_in_page, sandbox):
    """Clicking Save twice quickly creates a single credential and a single tile."""
    page = signed_in_page
    dialog = open_add_dialog(page)
    fill_and_save(dialog, double_click=True)
    expect(dialog).to_be_hidden()
    expect(page.locator(".credential-tile")).to_have_count(1)
    page.reload()
    expect(page.locator(".credential-tile")).to_have_count(1)
    assert Credential.objects.count() == 1


def test_duplicate_name_is_refused_with_a_clear_message(signed_in_page, user, credential_factory, sandbox):
    """A name already used for this provider is refused next to the field; nothing is stored or lost."""
    credential_factory(owner=user, name="Box office")
    page = signed_in_page
    dialog = open_add_dialog(page)
    fill_and_save(dialog, name="box office")

    message = "You already have a Humanitix credential named “box office”. Choose another name."
    name = dialog.get_by_label("Credential Name")
    expect(dialog.get_by_text(message)).to_be_visible()
    expect(name).to_have_attribute("aria-invalid", "true")
    expect(name).to_have_accessible_description(message)
    expect(name).to_be_focused()
    expect(dialog.get_by_label("API Key")).to_have_value(keys.VALID)
    assert Credential.objects.count() == 1

    name.fill("Second box office")
    dialog.get_by_role("button", name="Save").click()
    expect(dialog).to_be_hidden()
    expect(page.locator(".credential-tile", has_text="Second box office").get_by_role("radio")).to_be_checked()
    assert Credential.objects.count() == 2


def test_add_credential_works_from_the_keyboard_alone(signed_in_page, sandbox):
    """Tab, Enter and Esc are enough to open, fill, cancel, reopen and save the overlay, then create the data source."""
    page = signed_in_page
    open_humanitix(page)
    add = page.get_by_role("button", name="Add Credential")
    tab_to(page, add)
    page.keyboard.press("Enter")
    dialog = page.get_by_role("dialog", name="Add New Credential")
    expect(dialog.get_by_label("Credential Name")).to_be_focused()
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    expect(add).to_be_focused()

    page.keyboard.press("Enter")
    expect(dialog.get_by_label("Credential Name")).to_be_focused()  # as a person sees the caret, then types
    page.keyboard.type("Keyboard key")
    page.keyboard.press("Tab")
    expect(dialog.get_by_label("Credential Description")).to_be_focused()
    page.keyboard.type("Typed without a mouse")
    page.keyboard.press("Tab")
    expect(dialog.get_by_label("API Key")).to_be_focused()
    page.keyboard.type(keys.VALID)
    page.keyboard.press("Enter")

    expect(dialog).to_be_hidden()
    tile = page.locator(".credential-tile", has_text="Keyboard key")
    expect(tile.get_by_role("radio")).to_be_checked()
    expect(tile.get_by_role("radio")).to_be_focused()

    page.keyboard.press("Tab")
    expect(page.get_by_role("button", name="Continue")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Name your Humanitix data source")).to_be_visible()
    tab_to(page, page.get_by_label(label("Data Source Name")))
    page.keyboard.type("Keyboard events")
    page.keyboard.press("Enter")
    expect(page.get_by_test_id("connection-credential")).to_have_text("Keyboard key")


def test_check_now_shows_progress_and_a_double_click_checks_once(
    signed_in_page, user, sandbox, settings, credential_factory
):
    """"Check now" says it is checking with the provider while it waits; a double click checks once."""
    from credentials_app.models import AuditEvent

    settings.CONNECTOR_READ_TIMEOUT = 5.0
    credential = credential_factory(owner=user, key=keys.SLOW, name="Slow box office")
    sandbox.state.slow_seconds = 1.0
    page = signed_in_page
    try:
        page.goto(f"/credentials/{credential.pk}/")
        # Read the page still on screen while the check runs: the page reports it itself, since a
        # page that is being left may no longer answer an evaluate() started after the click.
        states = []
        page.on("console", lambda message: states.append(message.text) if message.text.startswith("busy:") else None)
        page.evaluate(
            """() => document.addEventListener("submit", () => setTimeout(() => {
                const button = document.querySelector("form[aria-busy=true] button");
                console.log("busy:" + JSON.stringify(button && {text: button.textContent, disabled: button.disabled}));
            }, 100))"""
        )
        page.get_by_role("button", name="Check now").dblclick()
        expect(page.locator(".message")).to_be_visible()  # the check ended and its page is shown
        assert states and json.loads(states[0].removeprefix("busy:")) == {"text": "Checking with Humanitix…", "disabled": True}
        expect(page.get_by_role("button", name="Check now")).to_be_enabled()
    finally:
        sandbox.state.slow_seconds = 2.0
    assert AuditEvent.objects.filter(credential=credential, action=AuditEvent.Action.CHECKED).count() == 1
