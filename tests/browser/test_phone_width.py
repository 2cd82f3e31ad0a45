"""At a phone's width (390 px) no page scrolls sideways, and the overlay keeps Save in reach."""
import pytest
from playwright.sync_api import expect

from tests.browser.helpers import open_add_dialog

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}


def page_width(page) -> int:
    return page.evaluate("document.documentElement.scrollWidth")


@pytest.fixture
def phone(signed_in_page):
    signed_in_page.set_viewport_size(PHONE)
    return signed_in_page


def test_no_page_scrolls_sideways_on_a_phone(phone, every_page):
    """Every page fits 390 px: wide tables scroll inside their own box, not the page."""
    pages = list(every_page)
    too_wide = {}
    for name, path in pages:
        phone.goto(path)
        if page_width(phone) > PHONE["width"]:
            too_wide[name] = page_width(phone)
    assert not too_wide, f"Pages wider than the phone: {too_wide}"


def test_the_login_page_fits_a_phone(page):
    page.set_viewport_size(PHONE)
    page.goto("/accounts/login/")
    assert page_width(page) <= PHONE["width"]


def test_the_open_overlay_fits_a_phone_and_keeps_save_visible(phone):
    """With the Add Credential overlay open, nothing scrolls sideways and Save is on screen."""
    dialog = open_add_dialog(phone)
    assert page_width(phone) <= PHONE["width"]
    save = dialog.get_by_role("button", name="Save", exact=True)
    expect(save).to_be_in_viewport()


def test_dates_do_not_wrap_on_a_phone(phone, user, credential_factory):
    """A date in a table stays on one line."""
    import datetime

    credential_factory(owner=user, last_checked_at=datetime.datetime(2026, 11, 22, 14, 3, tzinfo=datetime.UTC))
    phone.goto("/credentials/")
    time = phone.locator("table time").first
    height = time.evaluate("node => node.getBoundingClientRect().height")
    line = time.evaluate("node => parseFloat(getComputedStyle(node).lineHeight) || 20")
    assert height <= line * 1.5
