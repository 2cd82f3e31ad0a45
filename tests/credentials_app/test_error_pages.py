"""Error pages: inside the app's layout, with a way back, and a 403 that keeps the app's reason."""
import logging

import pytest

from credentials_app.models import CredentialShare


@pytest.fixture
def used_not_managed(sign_in, user_factory, credential_factory, team_factory, share_factory):
    """Return a credential the signed-in user may use (through a team) but not change."""
    reader = sign_in()
    credential = credential_factory(owner=user_factory())
    team = team_factory(admins=[credential.owner], members=[reader])
    share_factory(credential, team, level=CredentialShare.Level.USE)
    return credential


def test_404_is_styled_with_navigation(client, sign_in):
    """A missing page shows the app's header, the signed-in navigation and a link home."""
    sign_in()
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    body = response.content.decode()
    assert "Page not found" in body
    assert 'aria-label="Main"' in body
    assert "Go to Home" in body
    assert "/static/css/app.css" in body


def test_403_keeps_the_apps_reason(client, used_not_managed):
    """Renaming a credential one may only use says why, inside the layout."""
    response = client.post(f"/credentials/{used_not_managed.pk}/name/", {"name": "Mine now"})
    assert response.status_code == 403
    body = response.content.decode()
    assert "You may use this credential but not change it." in body
    assert 'aria-label="Main"' in body
    used_not_managed.refresh_from_db()
    assert used_not_managed.name != "Mine now"


def test_403_writes_no_traceback(client, used_not_managed, caplog):
    """A refusal is logged as one warning line, without a traceback."""
    with caplog.at_level(logging.WARNING, logger="django.request"):
        client.post(f"/credentials/{used_not_managed.pk}/name/", {"name": "Mine now"})
    refusals = [record for record in caplog.records if getattr(record, "status_code", None) == 403]
    assert refusals, "The refusal was not logged."
    assert all(record.exc_info is None for record in refusals)
    assert "Traceback" not in caplog.text


def test_400_is_styled(rf):
    """A bad request page renders in the layout with a link home."""
    from django.views.defaults import bad_request

    response = bad_request(rf.get("/"), exception=Exception("bad"))
    assert response.status_code == 400
    body = response.content.decode()
    assert "could not be understood" in body and "Go to Home" in body and "/static/css/app.css" in body


def test_500_renders_without_a_request(rf):
    """The 500 page renders with no request context (Django gives it none) and links home."""
    from django.views.defaults import server_error

    response = server_error(rf.get("/"))
    assert response.status_code == 500
    body = response.content.decode()
    assert "Something went wrong" in body and "Go to Home" in body

