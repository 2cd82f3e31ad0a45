"""Issue 4 in a real browser: ada shares a credential with her team; bob uses it and can never read the key."""
import pytest
from django.urls import reverse
from playwright.sync_api import expect

from credentials_app.models import Connection, CredentialShare
from tests.browser.helpers import sign_in

pytestmark = pytest.mark.browser

KEY = "hx-shared-live-Q7v2-k9PzT41m"


def test_a_teammate_uses_a_shared_credential_without_ever_seeing_its_key(page, user, user_factory,
                                                                         credential_factory, key_watch, team_factory):
    """Ada shares “Box office” with Ops at “Can use”; bob sees “Shared by ada via Ops”, builds a data source
    with it, gets no way to manage it, and the key appears in no page, response or URL."""
    bob = user_factory("bob")
    team_factory("Ops", admins=[user], members=[bob])
    credential = credential_factory(owner=user, name="Box office", key=KEY)

    sign_in(page, user)
    page.goto(reverse("credential_sharing", args=[credential.pk]))
    page.get_by_role("checkbox", name="Ops").check()
    page.get_by_role("radio", name="Can use").check()
    page.get_by_role("button", name="Share", exact=True).click()
    expect(page.get_by_role("status")).to_contain_text("“Box office” is now shared with “Ops” (Can use).")
    expect(page.get_by_role("row", name="Ops")).to_contain_text("Can use")
    assert CredentialShare.objects.filter(credential=credential, team__name="Ops", level="use").exists()
    page.get_by_role("button", name="Sign out (ada)").click()

    sign_in(page, bob)
    page.get_by_role("link", name="Teams").click()
    page.get_by_role("link", name="Ops").click()
    expect(page.get_by_role("row", name="Box office")).to_contain_text("Can use")
    page.get_by_role("link", name="Home").click()
    page.get_by_role("link", name="New Data Source").click()
    page.locator("#provider-tiles").get_by_text("Humanitix", exact=True).click()
    tile = page.locator(f'[data-credential-id="{credential.pk}"]')
    expect(tile).to_contain_text("Shared by ada via Ops")
    tile.get_by_text("Box office").click()
    page.get_by_role("button", name="Continue").click()
    page.get_by_label("Data Source Name").fill("Weekly sales")
    page.get_by_role("button", name="Create Data Source", exact=True).click()
    expect(page.get_by_test_id("connection-credential")).to_have_text("Box office")
    assert Connection.objects.get(name="Weekly sales").credential == credential

    # Everything bob can open about the credential shows at most its last four characters.
    for path in (reverse("credential_list"), reverse("credential_detail", args=[credential.pk])):
        page.goto(path)
        expect(page.get_by_text("Box office").first).to_be_visible()
        expect(page.locator("input[type=password]")).to_have_count(0)
    response = page.goto(reverse("credential_sharing", args=[credential.pk]))
    assert response.status == 403
    key_watch.assert_never_returned(KEY)
