"""axe-core finds no serious or critical accessibility problem on any page, nor in the open overlay."""
import pytest
from playwright.sync_api import expect

from tests.browser.axe import serious_violations
from tests.browser.helpers import open_add_dialog

pytestmark = pytest.mark.browser


@pytest.fixture
def context_options():
    """Let Playwright add axe's script despite the app's Content-Security-Policy (script-src 'self')."""
    return {"bypass_csp": True}


@pytest.mark.parametrize("width", [1280, 390], ids=["laptop", "phone"])
def test_every_signed_in_page_passes_axe(width, signed_in_page, every_page):
    page = signed_in_page
    page.set_viewport_size({"width": width, "height": 900})
    pages = list(every_page)
    pages.append(("page not found", "/no-such-page/"))
    found = {}
    for name, path in pages:
        page.goto(path)
        if problems := serious_violations(page):
            found[name] = problems
    assert not found, f"axe found serious problems: {found}"


def test_the_login_page_passes_axe(page):
    page.goto("/accounts/login/")
    assert not serious_violations(page)


def test_the_open_add_credential_overlay_passes_axe(signed_in_page, sandbox):
    """The overlay, with its Sandbox keys list open and after a refused save."""
    dialog = open_add_dialog(signed_in_page)
    dialog.get_by_text("Sandbox keys").click()
    expect(dialog.locator("[data-sandbox-key-list] button").first).to_be_visible()
    dialog.get_by_role("button", name="Save", exact=True).click()
    expect(dialog.locator("[data-form-alert]")).to_be_visible()
    assert not serious_violations(signed_in_page)


def test_at_phone_width_the_open_dialogs_pass_axe(signed_in_page, sandbox):
    """At 390 px: the provider picker, and the Add overlay after a 503 (three buttons in its footer)."""
    page = signed_in_page
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto("/credentials/")
    page.get_by_role("button", name="Add credential").click()
    expect(page.get_by_role("dialog", name="Add credential: choose a provider")).to_be_visible()
    found = {"provider picker": serious_violations(page)}
    dialog = open_add_dialog(page)
    dialog.get_by_label("Credential Name").fill("Box office")
    dialog.get_by_label("API Key").fill("sandbox_key_error")
    dialog.get_by_role("button", name="Save", exact=True).click()
    expect(dialog.get_by_role("button", name="Save without checking")).to_be_visible()
    found["add overlay"] = serious_violations(page)
    assert not any(found.values()), f"axe found serious problems: {found}"


def test_the_two_factor_pages_pass_axe(signed_in_page, user):
    """The two-factor overview, adding an app or a passkey, Sessions, and the code prompt when signing in."""
    page = signed_in_page
    found = {}
    for path in ["/accounts/2fa/", "/accounts/2fa/totp/activate/", "/accounts/2fa/webauthn/add/", "/accounts/sessions/"]:
        page.goto(path)
        if problems := serious_violations(page):
            found[path] = problems
    from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret

    TOTP.activate(user, generate_totp_secret())
    page.context.clear_cookies()
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill(user.get_username())
    page.get_by_label("Password").fill("pw-for-tests-1")
    page.get_by_role("button", name="Sign in", exact=True).click()
    page.wait_for_url("**/accounts/2fa/authenticate/")
    if problems := serious_violations(page):
        found["code prompt"] = problems
    assert not found, f"axe found serious problems: {found}"
