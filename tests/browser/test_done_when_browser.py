"""Issue 21's "done when", in one browser session after another: the owner, made to add a second factor,
enrols a passkey, invites a teammate who accepts by link, and the teammate signs on through the local
OpenID Connect provider into the right team. Every step is in the audit log."""
import re

import pytest
from playwright.sync_api import expect

from credentials_app.models import AuditEvent, Membership
from credentials_app.signin.csp import csp_with_sign_on
from tests.browser.helpers import PASSWORD, label
from tests.browser.test_two_factor_browser import SIGN_IN, enrol_passkey
from tests.oidc_idp.server import identity_provider, sso_settings

pytestmark = pytest.mark.browser


@pytest.fixture
def sso(settings, live_server, tmp_path):
    """Serve the test identity provider for the live server, and point the app at it."""
    with identity_provider(callback=f"{live_server.url}/accounts/oidc/sso/login/callback/", folder=tmp_path) as url:
        settings.SOCIALACCOUNT_PROVIDERS = sso_settings(url)
        settings.SECURE_CSP = csp_with_sign_on(settings.SECURE_CSP, url)
        settings.OIDC_GROUP_TEAMS = {"ops": "Ops:member"}
        yield url


def test_owner_requires_two_factors_enrols_a_passkey_invites_and_the_teammate_signs_on(
    page, browser, live_server, user_factory, settings, sso, mailoutbox
):
    settings.TWO_FACTOR_REQUIRED_FOR = "staff"
    # The link goes by mail, so opening it proves the address: single sign-on then links the account.
    settings.EMAIL_CONFIGURED = True
    owner = user_factory("owner", is_staff=True, is_superuser=True)

    # The owner signs in and is taken to enrolment; a passkey frees them.
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill("owner")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name=SIGN_IN).click()
    expect(page).to_have_url(re.compile(r"/accounts/2fa/$"))
    page.goto("/teams/")
    expect(page).to_have_url(re.compile(r"/accounts/2fa/$"))
    enrol_passkey(page, "Owner's laptop")

    # The owner makes the team and invites the teammate, who gets the link by mail.
    page.goto("/teams/")
    page.get_by_label("Name").fill("Ops")
    page.get_by_role("button", name=re.compile("Create")).click()
    page.get_by_label("Email").fill("teammate@example.com")
    page.get_by_role("button", name="Invite").click()
    expect(page.locator(".message.success")).to_contain_text("Invitation sent to teammate@example.com")
    [mail] = mailoutbox
    link = re.search(r"http://\S+/invitations/[^/\s]+/", mail.body).group(0)

    # The teammate accepts by link, making an account, and is in Ops.
    teammate = browser.new_context(base_url=live_server.url)
    other = teammate.new_page()
    other.goto(link)
    other.get_by_label(label("Username")).fill("tess")
    other.get_by_label(label("Password")).fill("a-long-pass-phrase")
    other.get_by_label(label("Password confirmation")).fill("a-long-pass-phrase")
    other.get_by_role("button", name="Make my account and join").click()
    expect(other.get_by_role("heading", level=1)).to_have_text("Ops")
    other.get_by_role("button", name=re.compile("^Sign out")).click()

    # Later the teammate signs on through the local provider, into the same account and team.
    other.goto("/accounts/login/")
    other.get_by_role("button", name="Sign in with Test IdP").click()
    other.get_by_label("Username").fill("tess")
    other.get_by_label("Password").fill("idp-password-1")
    other.get_by_role("button", name="Log in").click()
    other.wait_for_url(f"{live_server.url}/")
    expect(other.get_by_role("button", name="Sign out (tess)")).to_be_visible()
    teammate.close()

    tess = Membership.objects.get(team__name="Ops", user__username="tess")
    assert tess.role == Membership.Role.MEMBER
    done = set(AuditEvent.objects.values_list("action", flat=True))
    assert {AuditEvent.Action.TWO_FACTOR_ADDED, AuditEvent.Action.INVITED, AuditEvent.Action.INVITATION_ACCEPTED,
            AuditEvent.Action.SSO_LINKED} <= done
    assert AuditEvent.objects.get(action=AuditEvent.Action.TWO_FACTOR_ADDED).actor == owner
