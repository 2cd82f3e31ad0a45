"""Browser: cancel during a check, the edit dialog, Add on the Credentials page, a data source's life."""
import pytest
from playwright.sync_api import expect

from connectors.sandbox import keys
from credentials_app.models import Credential
from tests.browser.helpers import label, open_add_dialog

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_cancel_during_a_check_stores_nothing_and_the_next_save_works(signed_in_page, sandbox, monkeypatch):
    """Cancel while "Checking with …" shows: the page says nothing was saved, and no credential appears, even
    after the check would have ended."""
    page = signed_in_page
    monkeypatch.setattr(sandbox.state, "delay_seconds", 0.8)
    dialog = open_add_dialog(page)
    dialog.get_by_label("Credential Name").fill("Slow one")
    dialog.get_by_label("API Key").fill(keys.VALID)
    dialog.get_by_role("button", name="Save").click()
    expect(dialog.locator("[data-progress]")).to_be_visible()
    dialog.get_by_role("button", name="Cancel").click()
    expect(dialog).to_be_hidden()
    expect(page.locator(".message.info")).to_have_text("Cancelled while checking: nothing was saved.")

    page.wait_for_timeout(1500)
    assert not Credential.objects.exists()
    expect(page.locator(".credential-tile")).to_have_count(0)

    monkeypatch.setattr(sandbox.state, "delay_seconds", 0.0)
    page.get_by_role("button", name="Add Credential").click()
    dialog.get_by_label("Credential Name").fill("Next one")
    dialog.get_by_label("API Key").fill(keys.VALID)
    dialog.get_by_role("button", name="Save").click()
    expect(dialog).to_be_hidden()
    expect(page.locator(".credential-tile", has_text="Next one")).to_be_visible()
    assert list(Credential.objects.values_list("name", flat=True)) == ["Next one"]


def test_edit_dialog_keeps_what_was_typed_when_a_setting_is_refused(signed_in_page, user, credential_factory, sandbox):
    """Edit: a refused token type brings the dialog back open on that field with the new name kept."""
    page = signed_in_page
    credential = credential_factory(owner=user, provider="tixy", name="Sales", options={"token_type": "public"})
    page.goto(f"/credentials/{credential.pk}/")
    page.get_by_role("link", name="Edit").click()
    dialog = page.get_by_role("dialog", name="Edit Credential")
    dialog.get_by_label("Credential Name").fill("Sales team")
    dialog.get_by_label("Token Type").select_option(label="Private API Token")
    dialog.get_by_role("button", name="Save").click()

    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text("The settings were not changed")
    expect(dialog.get_by_label("Token Type")).to_be_focused()
    expect(dialog.get_by_label("Credential Name")).to_have_value("Sales team")
    assert Credential.objects.get().name == "Sales"

    dialog.get_by_label("Token Type").select_option(label="Public API Token")
    dialog.get_by_role("button", name="Save").click()
    expect(page.locator(".message.success")).to_contain_text("Renamed “Sales” to “Sales team”.")
    assert Credential.objects.get().name == "Sales team"


def test_add_credential_from_the_credentials_page(signed_in_page, sandbox):
    """Credentials › Add credential › a provider opens the same Add dialog; saving shows the new credential."""
    page = signed_in_page
    page.goto("/credentials/")
    page.get_by_role("button", name="Add credential").click()
    page.get_by_role("dialog", name="Add credential: choose a provider").get_by_role("link", name="Custify").click()
    dialog = page.get_by_role("dialog", name="Add New Credential")
    expect(dialog).to_be_visible()
    dialog.get_by_label("Credential Name").fill("Custify from the list")
    dialog.get_by_label("API Key").fill(keys.VALID)
    dialog.get_by_role("button", name="Save").click()

    expect(page.get_by_role("heading", level=1)).to_contain_text("Custify from the list")
    credential = Credential.objects.get()
    assert credential.provider == "custify"
    assert page.url.endswith(f"/credentials/{credential.pk}/")


def test_a_data_source_is_named_renamed_moved_and_deleted(signed_in_page, user, credential_factory):
    """Build on an unchecked credential (warned, suggested name), then rename, move and delete it."""
    from credentials_app.models import Connection

    page = signed_in_page
    credential_factory(owner=user, name="Old key", status=Credential.Status.COULD_NOT_CHECK)
    credential_factory(owner=user, name="New key")
    page.goto("/connect/source/humanitix/")
    page.locator(".credential-tile", has_text="Old key").click()
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_test_id("unverified-warning")).to_contain_text("Could not check")
    expect(page.get_by_label("Data Source Name")).to_have_value("Humanitix data source 1")
    page.get_by_role("button", name="Create Data Source").click()

    page.get_by_label(label("Name")).fill("Box office sales")
    page.get_by_role("button", name="Rename").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Box office sales")
    page.get_by_label(label("Use the credential")).select_option(label="New key (Verified)")
    page.get_by_role("button", name="Use this credential").click()
    expect(page.get_by_test_id("connection-credential")).to_have_text("New key")
    page.get_by_test_id("connection-credential").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("New key")
    page.go_back()

    page.get_by_text("Delete this data source…").click()
    page.get_by_role("button", name="Delete “Box office sales”").click()
    expect(page.locator(".message.success")).to_contain_text("deleted")
    assert not Connection.objects.exists()


def test_closing_the_edit_dialog_keeps_what_was_typed(signed_in_page, user, credential_factory):
    """Cancel by mistake, press Edit again: the name typed is still there."""
    page = signed_in_page
    credential = credential_factory(owner=user, name="Box office")
    page.goto(f"/credentials/{credential.pk}/")
    page.get_by_role("link", name="Edit").click()
    dialog = page.get_by_role("dialog", name="Edit Credential")
    dialog.get_by_label("Credential Name").fill("Front desk")
    dialog.get_by_role("button", name="Cancel").click()
    expect(dialog).to_be_hidden()

    page.get_by_role("link", name="Edit").click()
    expect(dialog.get_by_label("Credential Name")).to_have_value("Front desk")
    assert Credential.objects.get().name == "Box office"
