"""Destructive actions ask in place: the button gives way to "question [Confirm] [Keep]", by mouse or keyboard,
with no second page and no browser confirm() box."""
import pytest
from django.urls import reverse
from playwright.sync_api import expect

from credentials_app.models import ApiToken, Credential, CredentialShare, Membership
from credentials_app.services.tokens import token_create

pytestmark = pytest.mark.browser


@pytest.fixture
def no_native_dialogs(signed_in_page):
    """Fail if any native alert/confirm box opens."""
    opened = []
    signed_in_page.on("dialog", lambda dialog: (opened.append(dialog.message), dialog.dismiss()))
    yield signed_in_page
    assert not opened, f"A native dialog opened: {opened}"


def test_remove_member_is_confirmed_in_place_with_the_keyboard(no_native_dialogs, user, user_factory, team_factory):
    """Enter on Remove moves focus to Confirm; Esc puts Remove back; Enter on Confirm removes the member."""
    page = no_native_dialogs
    grace = user_factory("grace")
    team = team_factory("Ops", admins=[user], members=[grace])
    page.goto(reverse("team_detail", args=[team.pk]))
    row = page.get_by_role("row", name="grace")
    remove = row.get_by_role("button", name="Remove grace")

    remove.focus()
    page.keyboard.press("Enter")
    confirm = row.get_by_role("button", name="Confirm")
    expect(confirm).to_be_focused()
    expect(row.get_by_role("group", name="Remove grace from Ops?")).to_be_visible()
    page.keyboard.press("Escape")
    expect(confirm).to_have_count(0)
    expect(remove).to_be_focused()
    assert Membership.objects.filter(team=team, user=grace).exists()

    page.keyboard.press("Enter")
    expect(confirm).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.get_by_role("row", name="grace")).to_have_count(0)
    assert not Membership.objects.filter(team=team, user=grace).exists()


def test_keep_leaves_everything_as_it_was(no_native_dialogs, user, credential_factory, team_factory, share_factory):
    """Unshare, then Keep: the share stays, and nothing was sent."""
    page = no_native_dialogs
    team = team_factory("Ops", admins=[user])
    credential = credential_factory(owner=user, name="Box office")
    share_factory(credential, team)
    page.goto(reverse("credential_sharing", args=[credential.pk]))
    page.get_by_role("button", name="Unshare with Ops").click()
    page.get_by_role("button", name="Keep").click()
    expect(page.get_by_role("button", name="Unshare with Ops")).to_be_focused()
    assert CredentialShare.objects.filter(credential=credential, team=team).exists()

    page.get_by_role("button", name="Unshare with Ops").click()
    page.get_by_role("button", name="Confirm").click()
    expect(page.locator(".messages")).to_be_visible()
    assert not CredentialShare.objects.filter(credential=credential, team=team).exists()


@pytest.mark.parametrize("action", ["disable", "delete"])
def test_credential_disable_and_delete_are_confirmed(no_native_dialogs, user, credential_factory, action):
    page = no_native_dialogs
    credential = credential_factory(owner=user, name="Box office")
    page.goto(reverse("credential_detail", args=[credential.pk]))
    if action == "delete":
        page.get_by_text("Delete this credential…").click()
        page.get_by_role("button", name="Delete “Box office”").click()
    else:
        page.get_by_role("button", name="Disable", exact=True).click()
    assert Credential.objects.filter(pk=credential.pk, disabled_at__isnull=True).exists()
    page.get_by_role("button", name="Confirm").click()
    page.wait_for_load_state()
    expect(page.locator(".messages")).to_be_visible()
    if action == "delete":
        assert not Credential.objects.filter(pk=credential.pk).exists()
    else:
        assert Credential.objects.get(pk=credential.pk).is_disabled


def test_leave_team_and_revoke_token_are_confirmed(no_native_dialogs, user, user_factory, team_factory):
    page = no_native_dialogs
    team = team_factory("Ops", admins=[user_factory("boss")], members=[user])
    token, _ = token_create(creator=user, name="Nightly export", scopes=["credentials:read"])

    page.goto(reverse("token_list"))
    page.get_by_role("button", name="Revoke").click()
    expect(page.get_by_role("group", name="Revoke “Nightly export”? Programs using it stop working at once.")).to_be_visible()
    assert ApiToken.objects.get(pk=token.pk).revoked_at is None
    page.get_by_role("button", name="Confirm").click()
    expect(page.locator(".messages")).to_be_visible()
    assert ApiToken.objects.get(pk=token.pk).revoked_at is not None

    page.goto(reverse("team_detail", args=[team.pk]))
    page.get_by_role("button", name="Leave team").click()
    assert Membership.objects.filter(team=team, user=user).exists()
    page.get_by_role("button", name="Confirm").click()
    expect(page.locator(".messages")).to_be_visible()
    assert not Membership.objects.filter(team=team, user=user).exists()
