"""Screens that look finished at 390 and 1280 px: no button broken into syllables, framed dialogs, tables as cards."""
import pytest
from playwright.sync_api import expect

from connectors.sandbox import keys
from credentials_app import events
from tests.browser.helpers import open_add_dialog

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
LAPTOP = {"width": 1280, "height": 900}
WIDTHS = pytest.mark.parametrize("viewport", [LAPTOP, PHONE], ids=["laptop", "phone"])
SHOTS = "/tmp/h22"


def one_line(locator) -> bool:
    """Return whether the element's text takes a single line."""
    return locator.evaluate(
        "node => node.getBoundingClientRect().height <= 1.6 * (parseFloat(getComputedStyle(node).lineHeight) || 20)"
        " + parseFloat(getComputedStyle(node).paddingTop) + parseFloat(getComputedStyle(node).paddingBottom) + 2"
    )


@WIDTHS
def test_the_catalog_filters_as_you_type_without_a_search_button(viewport, signed_in_page):
    """With JavaScript the catalog has no Search button: typing filters the tiles."""
    page = signed_in_page
    page.set_viewport_size(viewport)
    page.goto("/connect/source/")
    expect(page.get_by_role("button", name="Search")).to_be_hidden()
    page.get_by_label("Search providers").fill("tix")
    expect(page.locator("#provider-tiles li:visible")).to_have_count(3)  # Humanitix, Moshtix, TIXY
    page.screenshot(path=f"{SHOTS}/catalog-{viewport['width']}.png")


@WIDTHS
def test_without_javascript_the_catalog_search_button_keeps_its_word_whole(viewport, browser, live_server, user, client):
    """Without JavaScript the Search button is there, and "Search" stays on one line."""
    from django.conf import settings

    client.force_login(user)
    context = browser.new_context(base_url=live_server.url, viewport=viewport, java_script_enabled=False)
    try:
        cookie = client.cookies[settings.SESSION_COOKIE_NAME]
        context.add_cookies([{"name": cookie.key, "value": cookie.value, "url": live_server.url}])
        page = context.new_page()
        page.goto("/connect/source/?q=tix")
        button = page.get_by_role("button", name="Search")
        expect(button).to_be_visible()
        assert one_line(button)
        assert page.locator("#provider-tiles li").count() >= 1
    finally:
        context.close()


@WIDTHS
def test_the_choose_a_provider_dialog_has_the_overlay_frame_and_cancel(viewport, signed_in_page):
    """The provider picker has the Add overlay's padding and a Cancel button that closes it."""
    page = signed_in_page
    page.set_viewport_size(viewport)
    page.goto("/credentials/")
    page.get_by_role("button", name="Add credential").click()
    dialog = page.get_by_role("dialog", name="Add credential: choose a provider")
    expect(dialog).to_be_visible()
    dialog.screenshot(path=f"{SHOTS}/choose-provider-{viewport['width']}.png")
    frame = dialog.bounding_box()
    first_tile = dialog.locator(".tile").first.bounding_box()
    assert first_tile["x"] - frame["x"] >= 16, "The tiles touch the dialog's edge."
    assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
    dialog.get_by_role("button", name="Cancel").click()
    expect(dialog).to_be_hidden()
    expect(page.get_by_role("button", name="Add credential")).to_be_focused()


def test_at_phone_width_every_table_action_and_first_column_is_on_screen(signed_in_page, every_page):
    """At 390 px no table cuts off a cell or scrolls on its own: every link, button and select is on screen."""
    page = signed_in_page
    page.set_viewport_size(PHONE)
    cut_off = {}
    for name, path in every_page:
        page.goto(path)
        outside = page.evaluate(
            """() => [...document.querySelectorAll('.table a, .table button, .table select, .table td:first-child')]
                .filter(node => { const box = node.getBoundingClientRect(); return box.left < 0 || box.right > innerWidth; })
                .map(node => node.textContent.trim().slice(0, 30))
                .concat([...document.querySelectorAll('.table')].filter(t => t.scrollWidth > t.clientWidth).map(() => 'a scrolling table'))"""
        )
        if outside:
            cut_off[name] = outside
    assert not cut_off, f"Cut off at 390 px: {cut_off}"


def test_the_history_table_reads_as_cards_at_phone_width(signed_in_page, user, credential_factory):
    """The History of a credential at 390 px: each event a card with when, who and what, nothing cut off."""
    credential = credential_factory(owner=user, name="Box office")
    for old_name in ("Sales", "Box office with a rather long name, from the first import"):
        events.renamed(credential=credential, actor=user, old_name=old_name)
    page = signed_in_page
    page.set_viewport_size(PHONE)
    page.goto(f"/credentials/{credential.pk}/")
    history = page.locator("table.history")
    history.scroll_into_view_if_needed()
    history.screenshot(path=f"{SHOTS}/history-390.png")
    row = history.locator("tbody tr").first
    expect(row.locator("td").nth(1)).to_contain_text(user.get_username())
    assert history.evaluate("table => table.scrollWidth <= table.clientWidth")
    box = row.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]


def test_with_three_buttons_the_overlay_footer_keeps_save_beside_another(signed_in_page, sandbox):
    """At 390 px, after a 503, "Save without checking" and Save share a row; Save is never alone."""
    page = signed_in_page
    page.set_viewport_size(PHONE)
    dialog = open_add_dialog(page)
    dialog.get_by_label("Credential Name").fill("Box office")
    dialog.get_by_label("API Key").fill(keys.SERVER_ERROR)
    dialog.get_by_role("button", name="Save", exact=True).click()
    accept = dialog.get_by_role("button", name="Save without checking")
    expect(accept).to_be_visible()
    save = dialog.get_by_role("button", name="Save", exact=True)
    dialog.locator(".overlay-footer").screenshot(path=f"{SHOTS}/overlay-footer-390.png")
    assert abs(save.bounding_box()["y"] - accept.bounding_box()["y"]) < 4
    expect(save).to_be_in_viewport()
