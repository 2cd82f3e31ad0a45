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


@pytest.mark.parametrize(
    ("provider", "key", "setting"),
    [("tixy", "sandbox_key_private", "Token Type"), ("peopleai", "sandbox_key_staging", "Base URL")],
)
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
