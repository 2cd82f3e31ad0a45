"""Browser fixtures: one headless Debian Chromium per session, a fresh context per test."""
import os
import shutil

import pytest
from django.conf import settings
from playwright.sync_api import sync_playwright

# pytest-django's live server and Playwright's sync API share the test thread; Playwright's
# event loop makes Django refuse ORM calls from it unless told this is deliberate.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
    "--disable-quic",
]


@pytest.fixture(scope="session")
def browser():
    """Return a running headless Chromium, or skip when Chromium is missing."""
    executable = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
    if not (os.path.isfile(executable) or shutil.which(executable)):
        pytest.skip(f"Chromium not found at {executable}: run `apt-get install chromium` or set CHROMIUM_PATH.")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


class KeyWatch:
    """Record every response body and URL the browser sees, to prove a key never comes back."""

    def __init__(self):
        self.bodies: list[tuple[str, str]] = []
        self.urls: list[str] = []

    def on_request(self, request):
        self.urls.append(request.url)

    def on_response(self, response):
        if 300 <= response.status < 400:
            return  # A redirect has no body to read.
        try:
            body = response.body().decode("utf-8", "replace")
        except Exception:  # noqa: BLE001 - a body the browser already dropped cannot hold a key we sent
            return
        self.bodies.append((response.url, body))

    def assert_never_returned(self, key: str) -> None:
        assert self.bodies, "No response was recorded."
        leaks = [url for url, body in self.bodies if key in body]
        assert not leaks, f"The key came back in: {leaks}"
        assert not [url for url in self.urls if key in url], "The key appeared in a URL."


@pytest.fixture
def key_watch():
    return KeyWatch()


@pytest.fixture
def context_options():
    """Return extra options for the browser context; a test module may override this fixture."""
    return {}


@pytest.fixture
def page(browser, live_server, key_watch, context_options):
    """Return a page in a fresh browser context, its responses recorded by key_watch."""
    context = browser.new_context(base_url=live_server.url, viewport={"width": 1280, "height": 900}, **context_options)
    context.set_default_timeout(10_000)
    page = context.new_page()
    page.on("request", key_watch.on_request)
    page.on("response", key_watch.on_response)
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    yield page
    context.close()
    assert not errors, f"JavaScript errors: {errors}"


@pytest.fixture
def user(user_factory, live_server):
    return user_factory("ada")


@pytest.fixture
def signed_in_page(page, user, client, live_server):
    """Return a page signed in as user, on the home page.

    The session comes from the test client rather than the login form, which costs a page load
    per test; the sharing test signs in through the form.
    """
    client.force_login(user)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    page.context.add_cookies([{"name": cookie.key, "value": cookie.value, "url": live_server.url}])
    page.goto("/")
    return page


@pytest.fixture
def every_page(user, user_factory, credential_factory, team_factory, share_factory, connection_factory):
    """Return (name, path) for every signed-in page, with data stored so each shows its tables and lists."""
    from tests.browser.pages import build_every_page

    return build_every_page(
        user=user,
        user_factory=user_factory,
        credential_factory=credential_factory,
        team_factory=team_factory,
        share_factory=share_factory,
        connection_factory=connection_factory,
    )
