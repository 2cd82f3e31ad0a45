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
