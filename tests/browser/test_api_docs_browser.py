"""The interactive API docs run in a real browser under the app's strict Content-Security-Policy."""
import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_api_docs_render_with_no_csp_violation(page, user):
    """/api/v1/docs shows every endpoint group, and the browser reports no blocked script or style."""
    violations = []
    page.on("console", lambda message: "Content Security Policy" in message.text and violations.append(message.text))

    page.goto("/api/v1/docs")

    page.get_by_text("Credential Manager API").first.wait_for()
    for tag in ("providers", "credentials", "sharing", "connections", "teams"):
        page.locator(f"#operations-tag-{tag}").wait_for()
    assert violations == []


def test_the_api_docs_link_back_and_fit_a_phone(page, user):
    """At 390 px the docs fit the screen and link back to the app and to the API tokens page."""
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto("/api/v1/docs")
    page.locator("#operations-tag-credentials").wait_for()
    page.locator(".opblock").first.wait_for()
    page.screenshot(path="/tmp/h22/api-docs-390.png", full_page=False)
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    assert page.get_by_role("link", name="Back to the app").get_attribute("href") == "/"
    page.get_by_role("link", name="API tokens").click()
    page.wait_for_url("**/accounts/login/?next=/tokens/")
