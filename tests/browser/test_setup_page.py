"""The first-run owner setup page in a real browser."""
import re

import pytest
from django.contrib.auth import get_user_model
from playwright.sync_api import expect

from tests.browser.helpers import PASSWORD, label

pytestmark = pytest.mark.browser


def test_first_run_setup_creates_the_owner_and_signs_in(page):
    """With no account yet, /setup/ creates the owner, signs them in, and then disappears."""
    page.goto("/setup/")
    expect(page.get_by_role("heading", name="Welcome: create the owner account")).to_be_visible()
    expect(page.get_by_label("Username")).to_be_focused()
    expect(page.get_by_label(label("Password"))).to_have_accessible_description(
        re.compile("Your password must contain at least 8 characters")
    )
    page.get_by_label("Username").fill("owner")
    page.get_by_label("Email").fill("owner@example.com")
    page.get_by_label(label("Password")).fill(PASSWORD + "-Owner")
    page.get_by_label("Password confirmation").fill(PASSWORD + "-Owner")
    page.get_by_role("button", name="Create owner account").click()

    expect(page.get_by_role("heading", name="Connections")).to_be_visible()
    expect(page.get_by_role("button", name="Sign out (owner)")).to_be_visible()
    owner = get_user_model().objects.get()
    assert owner.username == "owner" and owner.is_superuser

    response = page.goto("/setup/")
    assert response.status == 404


def test_setup_shows_mismatched_passwords_next_to_the_field(page):
    """A mistyped confirmation is explained on the page and creates no account."""
    page.goto("/setup/")
    page.get_by_label("Username").fill("owner")
    page.get_by_label(label("Password")).fill(PASSWORD + "-Owner")
    page.get_by_label("Password confirmation").fill(PASSWORD + "-Other")
    page.get_by_role("button", name="Create owner account").click()
    expect(page.get_by_role("alert")).to_contain_text("The two password fields didn’t match.")
    expect(page.get_by_label("Username")).to_have_value("owner")
    assert not get_user_model().objects.exists()
