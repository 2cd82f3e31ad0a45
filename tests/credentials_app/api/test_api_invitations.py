"""Inviting through the API answers the same whether or not the address has an account here."""
import pytest

pytestmark = pytest.mark.django_db


def test_the_api_answers_the_same_whether_or_not_an_account_exists(user_factory, team_factory, api_client_for, settings):
    """POST /teams/{id}/members: 202 and the same body for a known and an unknown address; nobody joins yet."""
    settings.EMAIL_CONFIGURED = False
    ada = user_factory("ada")
    team = team_factory("Ops", admins=[ada])
    user_factory("bob")
    api = api_client_for(ada)

    answers = [api.post(f"/teams/{team.pk}/members", json={"email": email, "role": "member"})
               for email in ("bob@example.com", "nobody@example.com")]

    assert [answer.status_code for answer in answers] == [202, 202]
    bodies = [{**answer.json(), "email": "", "link": "", "expires_at": ""} for answer in answers]
    assert bodies[0] == bodies[1] == {"email": "", "role": "member", "expires_at": "", "sent": False, "link": ""}
    assert answers[1].json()["link"].startswith("http://testserver/invitations/")
    assert team.memberships.count() == 1
