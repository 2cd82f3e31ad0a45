"""What every page shares: navigation that marks where you are, a favicon, and times with their zone."""
import datetime
import re

from django.conf import settings
from django.contrib.staticfiles import finders


def current_links(body: str) -> list[str]:
    return re.findall(r'<a href="([^"]+)" aria-current="page"', body)


def test_navigation_marks_the_current_page(client, sign_in):
    """Each section's link carries aria-current="page" on its own pages, and only there."""
    sign_in()
    assert current_links(client.get("/").content.decode()) == ["/"]
    assert current_links(client.get("/credentials/").content.decode()) == ["/credentials/"]
    assert current_links(client.get("/teams/").content.decode()) == ["/teams/"]
    assert current_links(client.get("/tokens/").content.decode()) == ["/tokens/"]


def test_a_favicon_is_linked_and_exists(client, sign_in):
    sign_in()
    body = client.get("/").content.decode()
    assert f'<link rel="icon" href="{settings.STATIC_URL}favicon.svg"' in body
    assert finders.find("favicon.svg")


def test_times_show_their_zone(client, sign_in, credential_factory):
    """The credential page gives the last check as "22 Nov 2026, 14:03 UTC", not a bare time."""
    owner = sign_in()
    checked = datetime.datetime(2026, 11, 22, 14, 3, tzinfo=datetime.UTC)
    credential = credential_factory(owner=owner, last_checked_at=checked)
    body = client.get(f"/credentials/{credential.pk}/").content.decode()
    assert "22 Nov 2026, 14:03 UTC" in body
