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
