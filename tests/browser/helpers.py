"""Steps the browser tests share: signing in, finding labels, opening the Add Credential overlay."""
import re

from playwright.sync_api import expect

PASSWORD = "pw-for-tests-1"  # what tests/conftest.py's user_factory sets


def label(text: str) -> re.Pattern:
    """Return a pattern matching exactly the label text, before a required field's "*"."""
    return re.compile(rf"^{re.escape(text)}\W*$")


def sign_in(page, user) -> None:
    """Sign user in through the real login page."""
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill(user.get_username())
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/")


def open_add_dialog(page, kind="source", provider="humanitix"):
    """Open provider's Authenticate screen, click "Add Credential" and return the open dialog."""
    page.goto(f"/connect/{kind}/{provider}/")
    page.get_by_role("button", name="Add Credential").click()
    dialog = page.get_by_role("dialog", name="Add New Credential")
    expect(dialog).to_be_visible()
    return dialog


def tab_to(page, locator, limit: int = 30) -> None:
    """Press Tab until locator has focus, as a keyboard user would; fail after limit presses."""
    for _ in range(limit):
        if locator.evaluate("node => node === document.activeElement"):
            return
        page.keyboard.press("Tab")
    expect(locator).to_be_focused()
