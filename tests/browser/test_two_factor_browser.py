"""Two factors in a real browser: an authenticator app's codes, a passkey through Chromium's virtual
authenticator, a recovery code for a lost device, and the second look before deleting a credential."""
import re

import pyotp
import pytest
from allauth.mfa.models import Authenticator
from playwright.sync_api import expect

from credentials_app.models import Credential
from credentials_app.signin.proof import SESSION_KEY as PROOF_KEY
from tests.browser.helpers import PASSWORD

pytestmark = pytest.mark.browser
SIGN_IN = re.compile("^Sign in$", re.IGNORECASE)


def submit_password(page, user) -> None:
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill(user.get_username())
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name=SIGN_IN).click()


def enrol_authenticator_app(page) -> str:
    """Add an authenticator app on the two-factor pages; return its secret."""
    page.goto("/accounts/2fa/totp/activate/")
    secret = page.locator("#authenticator_secret").input_value()
    page.locator("input[name=code]").fill(pyotp.TOTP(secret).now())
    page.get_by_role("button", name="Activate").click()
    page.wait_for_url(lambda url: "/accounts/2fa/" in url and "/activate/" not in url)
    return secret


def sign_out(page) -> None:
    page.get_by_role("button", name=re.compile("^Sign out")).click()
    page.wait_for_url("**/accounts/login/")


def virtual_authenticator(page) -> None:
    """Give the page a platform authenticator that holds passkeys and verifies the user (Chromium's DevTools)."""
    session = page.context.new_cdp_session(page)
    session.send("WebAuthn.enable")
    session.send(
        "WebAuthn.addVirtualAuthenticator",
        {
            "options": {
                "protocol": "ctap2", "transport": "internal", "hasResidentKey": True,
                "hasUserVerification": True, "isUserVerified": True, "automaticPresenceSimulation": True,
            }
        },
    )


def enrol_passkey(page, name: str, *, passwordless: bool = False) -> None:
    """Give the page a virtual authenticator and add a passkey it holds, named name, on the two-factor pages."""
    virtual_authenticator(page)
    page.goto("/accounts/2fa/webauthn/add/")
    page.get_by_label("Name").fill(name)
    if passwordless:
        page.get_by_label("Passwordless").check()
    page.get_by_role("button", name="Add").click()
    page.wait_for_url(lambda url: "/accounts/2fa/" in url and "/add/" not in url)

def test_sign_in_with_an_app_code_and_recover_with_a_code(signed_in_page, user):
    """Enrol an app; sign in with its code; then, device lost, with a recovery code that works once."""
    page = signed_in_page
    secret = enrol_authenticator_app(page)
    page.goto("/accounts/2fa/recovery-codes/")
    codes = page.locator("#recovery_codes").input_value().split()
    assert len(codes) == 10
    sign_out(page)

    submit_password(page, user)
    page.locator("input[name=code]").fill(pyotp.TOTP(secret).now())
    page.get_by_role("button", name=SIGN_IN).click()
    page.wait_for_url(re.compile(r"/$"))
    sign_out(page)

    submit_password(page, user)
    page.locator("input[name=code]").fill(codes[0])
    page.get_by_role("button", name=SIGN_IN).click()
    page.wait_for_url(re.compile(r"/$"))
    expect(page.get_by_role("button", name=re.compile("^Sign out"))).to_be_visible()


def test_enrol_a_passkey_and_sign_in_with_it(signed_in_page, user):
    """A passkey added through the virtual authenticator signs in on its own, without the password."""
    page = signed_in_page
    enrol_passkey(page, "Laptop", passwordless=True)
    assert Authenticator.objects.filter(user=user, type=Authenticator.Type.WEBAUTHN).exists()
    sign_out(page)

    page.goto("/accounts/login/")
    page.get_by_role("button", name="Use a passkey").click()

    page.wait_for_url(re.compile(r"/$"))
    expect(page.get_by_role("button", name=re.compile("^Sign out"))).to_be_visible()


def test_a_passkey_is_the_second_factor_after_the_password(signed_in_page, user):
    """With only a passkey enrolled, the password leads to the passkey prompt, and the passkey signs in."""
    page = signed_in_page
    enrol_passkey(page, "Laptop")
    sign_out(page)

    submit_password(page, user)
    page.get_by_role("button", name="Use a passkey").click()

    page.wait_for_url(re.compile(r"/$"))
    expect(page.get_by_role("button", name=re.compile("^Sign out"))).to_be_visible()


def test_deleting_after_a_while_asks_for_the_password_then_deletes(signed_in_page, user, client, credential_factory):
    """An old proof: Delete leads to the password prompt; after it, the credential is gone."""
    page = signed_in_page
    credential = credential_factory(owner=user, name="Box office")
    session = client.session  # the browser's session: signed_in_page copied its cookie
    session[PROOF_KEY] = 0
    session.save()

    page.goto(f"/credentials/{credential.pk}/")
    page.get_by_text("Delete this credential…").click()
    page.get_by_role("button", name="Delete “Box office”").click()
    page.get_by_role("button", name="Confirm").click()
    page.wait_for_url(re.compile(r"/accounts/reauthenticate/"))
    assert Credential.objects.filter(pk=credential.pk).exists()
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Confirm").click()

    expect(page.locator(".message.success")).to_contain_text("Deleted “Box office”")
    assert not Credential.objects.filter(pk=credential.pk).exists()
