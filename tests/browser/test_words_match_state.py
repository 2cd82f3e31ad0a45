"""Words that match the state: Limited access is verified, attention and rate limits say what is true now."""
import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from connectors.sandbox import keys
from credentials_app.models import Credential

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
SHOTS = "/tmp/h22"
LIMIT = (
    "Custify accepted the key, but it may not read companies (403 Forbidden). Syncs that read companies will fail. "
    "Save it anyway only if that is what you intend."
)


def test_a_limited_access_credential_reads_as_verified_on_its_page_check_now_and_the_name_step(
    signed_in_page, user, sandbox, credential_factory
):
    """Its page, Check now and the Name step say the key is verified and what it cannot read; no advice to save."""
    credential = credential_factory(
        owner=user, provider="custify", name="Success", key=keys.CUSTIFY_FORBIDDEN,
        status=Credential.Status.RESTRICTED, status_message=LIMIT,
    )
    page = signed_in_page
    page.goto(f"/credentials/{credential.pk}/")
    expect(page.get_by_test_id("status")).to_have_text("Limited access: the key is verified")
    expect(page.get_by_test_id("last-error")).to_have_text(
        "Custify accepted the key, but it may not read companies (403 Forbidden). Syncs that read companies will fail."
    )
    page.get_by_role("button", name="Check now").click()
    message = page.locator(".message.warning")
    expect(message).to_contain_text("Checked: Limited access. The key is verified. Custify accepted the key")
    for page_text in (message, page.locator("main")):
        expect(page_text).not_to_contain_text("Save it anyway")

    page.goto("/connect/source/custify/")
    page.locator(".credential-tile", has_text="Success").click()
    page.get_by_role("button", name="Continue").click()
    warning = page.get_by_test_id("unverified-warning")
    expect(warning).to_contain_text("“Success” has limited access: its key is verified.")
    expect(warning).to_contain_text("This data source works for what the key may read.")
    expect(warning).not_to_contain_text("may not work until")
    expect(warning).not_to_contain_text("Save it anyway")


def test_needs_attention_says_what_the_last_check_found_once_a_check_has_run(
    signed_in_page, user, sandbox, credential_factory
):
    """"Saved without checking and never checked since" goes once Check now runs, even if it could not check."""
    credential = credential_factory(
        owner=user, name="Box office", key=keys.SERVER_ERROR, status=Credential.Status.COULD_NOT_CHECK,
        status_message="Saved without checking. Humanitix answered with a server error (HTTP 503).",
        last_checked_at=timezone.now() - timedelta(minutes=1),
    )
    page = signed_in_page
    page.goto(f"/credentials/{credential.pk}/")
    reasons = page.get_by_test_id("attention-reasons")
    expect(reasons).to_contain_text("Saved without checking and never checked since")
    page.get_by_role("button", name="Check now").click()
    expect(page.locator(".message.warning")).to_contain_text("Could not check:")
    expect(reasons).not_to_contain_text("never checked since")
    expect(reasons).to_contain_text("The last check could not be done")
    expect(page.locator("dt", has_text="Last check found")).to_be_visible()
    expect(page.get_by_test_id("last-error")).to_contain_text("HTTP 503")


def test_rate_limit_messages_count_down(signed_in_page, user, sandbox, credential_factory, settings):
    """A spent check budget's "Try again in N seconds." ticks down; a provider's 1 s 429 ends as "You can try again now"."""
    page = signed_in_page
    page.set_viewport_size(PHONE)
    brief = credential_factory(owner=user, name="Brief", key=keys.RATE_LIMITED_BRIEFLY)
    page.goto(f"/credentials/{brief.pk}/")
    page.get_by_role("button", name="Check now").click()
    countdown = page.locator(".message [data-countdown]")
    expect(countdown).to_have_text("You can try again now.", timeout=4000)

    settings.CHECK_BUDGET_PER_CREDENTIAL = 0
    page.get_by_role("button", name="Check now").click()
    expect(countdown).to_have_text(re.compile(r"Try again in \d+ seconds?\."))
    first = int(re.search(r"\d+", countdown.text_content()).group())
    expect(countdown).to_have_text(re.compile(rf"Try again in ({first - 1}|{first - 2}) seconds?\."), timeout=3000)


def test_the_add_overlays_rate_limit_message_counts_down(signed_in_page, sandbox):
    """A provider's 429 in the overlay says "Try again in 1 second." and then "You can try again now."."""
    from tests.browser.helpers import open_add_dialog

    dialog = open_add_dialog(signed_in_page)
    dialog.get_by_label("Credential Name").fill("Box office")
    dialog.get_by_label("API Key").fill(keys.RATE_LIMITED_BRIEFLY)
    dialog.get_by_role("button", name="Save", exact=True).click()
    expect(dialog.locator("[data-form-alert] [data-countdown]")).to_have_text("You can try again now.", timeout=4000)


def test_check_now_shows_its_progress_and_an_honest_duration(signed_in_page, user, sandbox, credential_factory, settings):
    """While Check now waits, it counts "N s of at most 8 s"; after, the page says "Check took 2.0 s", not ms."""
    settings.CONNECTOR_CONNECT_TIMEOUT = 5.0
    settings.CONNECTOR_READ_TIMEOUT = 3.0  # the slow key answers after 2 s, within it
    credential = credential_factory(owner=user, name="Slow", key=keys.SLOW)
    page = signed_in_page
    page.goto(f"/credentials/{credential.pk}/")
    # A page being left answers no evaluate() started after the click: it reports its progress itself.
    shown = []
    page.on("console", lambda message: shown.append(message.text) if message.text.startswith("progress:") else None)
    page.evaluate(
        """() => document.addEventListener("submit", () => setInterval(() => {
            const progress = document.getElementById("check-now-progress");
            if (!progress.hidden) console.log("progress:" + progress.textContent);
        }, 250))"""
    )
    page.get_by_role("button", name="Check now").click()
    expect(page.locator(".message")).to_contain_text(re.compile(r"Check took 2\.\d s\."), timeout=10_000)
    expect(page.get_by_test_id("check-took")).to_have_text(re.compile(r"^2\.\d s$"))
    assert any("Waiting for Humanitix’s answer 1 s of at most 8 s" in text for text in shown), shown


def test_the_home_table_shows_each_sources_credential_status(signed_in_page, user, credential_factory, connection_factory):
    """At 390 px a data source on a rejected key shows "Rejected" on Home."""
    dead = credential_factory(owner=user, name="Old key", status=Credential.Status.REJECTED)
    connection_factory(dead, name="Weekly sales", owner=user)
    page = signed_in_page
    page.set_viewport_size(PHONE)
    page.goto("/")
    row = page.get_by_role("row", name=re.compile("Weekly sales"))
    expect(row).to_contain_text("Old key")
    expect(row.locator(".badge")).to_have_text("Rejected")


def test_changing_to_a_could_not_check_credential_warns_and_the_list_shows_statuses(
    signed_in_page, user, credential_factory, connection_factory
):
    """The credential list names each status; moving to a Could not check key warns as the Name step does."""
    current = credential_factory(owner=user, name="Current")
    credential_factory(
        owner=user, name="Unchecked", status=Credential.Status.COULD_NOT_CHECK,
        status_message="Saved without checking. Humanitix answered with a server error (HTTP 503).",
    )
    connection = connection_factory(current, name="Weekly sales", owner=user)
    page = signed_in_page
    page.goto(f"/connections/{connection.pk}/")
    choice = page.get_by_label(re.compile("^Use the credential"))
    expect(choice.locator("option", has_text="Unchecked")).to_have_text("Unchecked (Could not check)")
    choice.select_option(label="Unchecked (Could not check)")
    page.get_by_role("button", name="Use this credential").click()
    warning = page.locator(".message.warning")
    expect(warning).to_contain_text("“Weekly sales” now uses the credential “Unchecked”.")
    expect(warning).to_contain_text("“Unchecked” is Could not check: Saved without checking.")
    expect(warning).to_contain_text("It may not work until its key is verified.")
