"""Dialogs that keep what you typed, and links that lead where a person expects."""
import pytest
from playwright.sync_api import expect

from credentials_app.models import CredentialShare

pytestmark = pytest.mark.browser


def test_the_sharing_breadcrumb_and_the_team_pages_links_open_the_credential(
    signed_in_page, user, user_factory, credential_factory, team_factory, share_factory
):
    """From Sharing the breadcrumb leads back to the credential; a team page's credential link opens it."""
    teammate = user_factory("grace")
    team = team_factory("Ops", admins=[teammate], members=[user])
    mine = credential_factory(owner=user, name="Box office")
    theirs = credential_factory(owner=teammate, name="Customer success")
    share_factory(theirs, team, level=CredentialShare.Level.USE)
    page = signed_in_page
    page.goto(f"/credentials/{mine.pk}/sharing/")
    page.get_by_role("navigation", name="Breadcrumb").get_by_role("link", name="Box office").click()
    expect(page).to_have_url(f"/credentials/{mine.pk}/")
    page.goto(f"/teams/{team.pk}/")
    page.get_by_role("link", name="Customer success").click()
    expect(page).to_have_url(f"/credentials/{theirs.pk}/")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Customer success")


def _keys_fitting_another_choice() -> list[tuple[str, str, str]]:
    """Return (provider, key, setting label): per provider, the first sandbox key verified only with a
    choice of a setting other than its default, from the connectors' declarations and the key table."""
    from connectors.registry import CONNECTORS
    from credentials_app.services.sandbox_keys import sandbox_keys_for

    cases = []
    for connector in CONNECTORS:
        defaults, labels = connector.clean_options({}), {setting.name: setting.label for setting in connector.settings}
        fitting = [(name, offered["key"]) for offered in sandbox_keys_for(connector)
                   for name, value in offered["settings"].items() if value != defaults[name]]
        cases += [(connector.id, key, labels[name]) for name, key in fitting[:1]]
    return cases


@pytest.mark.parametrize(("provider", "key", "setting"), _keys_fitting_another_choice())
def test_a_setting_the_key_does_not_fit_is_marked_and_focused_in_the_add_overlay(
    signed_in_page, sandbox, provider, key, setting
):
    """A key valid only with another choice of the setting: the overlay marks that setting and focuses it."""
    from tests.browser.helpers import open_add_dialog

    dialog = open_add_dialog(signed_in_page, "source", provider)
    dialog.get_by_label("Credential Name").fill("Sales")
    dialog.locator("[name=key]").fill(key)
    dialog.get_by_role("button", name="Save", exact=True).click()
    choice = dialog.get_by_label(setting)
    expect(choice).to_be_focused()
    expect(choice).to_have_attribute("aria-invalid", "true")
    expect(dialog.locator(f"[data-error-for={choice.get_attribute('name')}]")).to_contain_text("not accepted with this choice")
    expect(dialog.locator("[name=key]")).to_have_value(key)


def test_the_edit_dialog_keeps_a_refused_key_marked_and_says_nothing_was_saved(
    signed_in_page, user, credential_factory, sandbox, key_watch
):
    """Edit opens on its first field; a refused key stays typed and marked, nothing is saved, and the page
    is never the POST's answer; the fixed key then saves everything."""
    from connectors.sandbox import keys
    from credentials_app.models import Credential

    credential = credential_factory(owner=user, name="Box office", key=keys.VALID)
    page = signed_in_page
    page.goto(f"/credentials/{credential.pk}/")
    page.get_by_role("link", name="Edit").click()
    dialog = page.get_by_role("dialog", name="Edit Credential")
    name = dialog.get_by_label("Credential Name")
    expect(name).to_be_focused()
    name.fill("Front desk")
    new_key = dialog.get_by_label("New API Key")
    new_key.fill(keys.REJECTED)
    dialog.get_by_role("button", name="Save").click()

    expect(dialog.get_by_role("alert").first).to_contain_text("Nothing was saved")
    expect(new_key).to_be_focused()
    expect(new_key).to_have_value(keys.REJECTED)
    expect(new_key).to_have_attribute("aria-invalid", "true")
    expect(dialog.locator(".field-error")).to_contain_text("The key was not replaced")
    expect(name).to_have_value("Front desk")
    assert "/edit/" not in page.url
    credential.refresh_from_db()
    assert credential.name == "Box office" and credential.decrypt_key() == keys.VALID

    new_key.fill("sandbox_key_valid")
    dialog.get_by_role("button", name="Save").click()
    expect(page.locator(".message.success")).to_contain_text("Renamed “Box office” to “Front desk”.")
    expect(page).to_have_url(f"/credentials/{credential.pk}/")
    assert Credential.objects.get(pk=credential.pk).name == "Front desk"
    key_watch.assert_never_returned(keys.REJECTED)


def test_a_sandbox_key_picks_its_setting_speaks_of_this_provider_and_closes_the_list(signed_in_page, sandbox):
    """People.ai's staging key picks Staging, the list names no other provider, and it closes after the pick."""
    from connectors.sandbox import keys
    from credentials_app.models import Credential
    from tests.browser.helpers import open_add_dialog

    dialog = open_add_dialog(signed_in_page, "source", "peopleai")
    dialog.get_by_text("Sandbox keys").click()
    listing = dialog.locator("[data-sandbox-key-list]")
    expect(listing).to_contain_text("Verified on Production")
    for other in ("TIXY", "Custify", "Public API Token"):
        expect(listing).not_to_contain_text(other)
    dialog.get_by_role("button", name=keys.PEOPLEAI_STAGING, exact=True).click()
    expect(listing).to_be_hidden()
    expect(dialog.get_by_label("Environment").locator("option:checked")).to_have_text("Staging")
    expect(dialog.get_by_label("API Key")).to_be_focused()
    dialog.get_by_label("Credential Name").fill("Staging demo")
    dialog.get_by_role("button", name="Save", exact=True).click()
    expect(dialog).to_be_hidden()
    assert Credential.objects.get(name="Staging demo").status == Credential.Status.VERIFIED


def test_esc_then_enter_at_once_reopens_the_overlay_clean_and_keeps_what_is_typed_next(signed_in_page):
    """Closed and reopened in one go, the overlay holds no earlier name or key; what is typed next stays."""
    from tests.browser.helpers import open_add_dialog

    page = signed_in_page
    dialog = open_add_dialog(page)
    name, key = dialog.get_by_label("Credential Name"), dialog.locator("[name=key]")
    name.fill("Box office")
    key.fill("sandbox_key_valid")
    # Both in one task, as a fast Esc and Enter can land before the browser's queued close event.
    page.evaluate("""() => {
        document.getElementById("add-credential-dialog").close();
        document.querySelector("[data-open-dialog=add-credential-dialog]").click();
    }""")
    expect(name).to_have_value("")
    expect(key).to_have_value("")
    name.fill("Keyboard key")
    dialog.evaluate("node => node.dispatchEvent(new Event('close'))")  # the close event, arriving late

    expect(name).to_have_value("Keyboard key")
    expect(name).to_be_focused()
