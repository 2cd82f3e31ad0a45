"""The admin keeps the app's rules: a team keeps an admin, and a new key never shows on an error page."""
import pytest
from django.urls import reverse

from connectors.sandbox import keys
from credentials_app.models import Membership

pytestmark = pytest.mark.django_db


@pytest.fixture
def superuser_client(client, sign_in):
    sign_in(is_staff=True, is_superuser=True)
    return client


@pytest.fixture
def team_with_one_admin(user_factory, team_factory):
    team = team_factory("Ops", admins=[user_factory("ada")], members=[user_factory("bob")])
    return team, team.memberships.get(role=Membership.Role.ADMIN), team.memberships.get(role=Membership.Role.MEMBER)


def test_demoting_the_last_admin_in_the_membership_admin_is_refused(superuser_client, team_with_one_admin):
    team, admin, member = team_with_one_admin
    url = reverse("admin:credentials_app_membership_change", args=[admin.pk])

    response = superuser_client.post(url, {"role": "member"})

    assert response.status_code == 200
    assert "needs at least one admin" in response.content.decode()
    admin.refresh_from_db()
    assert admin.role == Membership.Role.ADMIN


def test_deleting_the_last_admin_in_the_admin_is_refused(superuser_client, team_with_one_admin):
    team, admin, member = team_with_one_admin
    url = reverse("admin:credentials_app_membership_delete", args=[admin.pk])

    page = superuser_client.get(url).content.decode()
    superuser_client.post(url, {"post": "yes"})
    bulk = superuser_client.post(
        reverse("admin:credentials_app_membership_changelist"),
        {"action": "delete_selected", "_selected_action": [admin.pk, member.pk], "post": "yes"},
    )

    assert "needs at least one admin" in page
    assert "needs at least one admin" in bulk.content.decode()
    assert Membership.objects.filter(pk__in=[admin.pk, member.pk]).count() == 2


def test_team_page_in_the_admin_refuses_a_member_list_without_an_admin(superuser_client, team_with_one_admin):
    team, admin, member = team_with_one_admin
    url = reverse("admin:credentials_app_team_change", args=[team.pk])
    data = {
        "name": "Ops",
        "memberships-TOTAL_FORMS": "2", "memberships-INITIAL_FORMS": "2",
        "memberships-MIN_NUM_FORMS": "0", "memberships-MAX_NUM_FORMS": "1000",
        "memberships-0-id": admin.pk, "memberships-0-team": team.pk, "memberships-0-user": admin.user_id,
        "memberships-0-role": "member",
        "memberships-1-id": member.pk, "memberships-1-team": team.pk, "memberships-1-user": member.user_id,
        "memberships-1-role": "member",
    }

    response = superuser_client.post(url, data)

    assert response.status_code == 200
    assert "needs at least one admin" in response.content.decode()
    admin.refresh_from_db()
    assert admin.role == Membership.Role.ADMIN


def test_admin_error_page_never_shows_a_new_key(superuser_client, credential_factory, settings, sandbox, monkeypatch):
    """A crash while the admin replaces a key, with DEBUG on, shows the trace but not the key."""
    credential = credential_factory(name="Admin crash")
    settings.DEBUG = True
    superuser_client.raise_request_exception = False

    def crash(**kwargs):
        raise RuntimeError("injected failure")

    monkeypatch.setattr("credentials_app.admin.credential_store_key", crash)
    marker = keys.VALID
    response = superuser_client.post(
        reverse("admin:credentials_app_credential_change", args=[credential.pk]),
        {"name": "Admin crash", "description": "", "new_key": marker},
    )

    assert response.status_code == 500
    assert "injected failure" in response.content.decode()
    assert marker not in response.content.decode()


def test_team_page_in_the_admin_refuses_removing_every_member(superuser_client, team_with_one_admin):
    team, admin, member = team_with_one_admin
    data = {
        "name": "Ops",
        "memberships-TOTAL_FORMS": "2", "memberships-INITIAL_FORMS": "2",
        "memberships-MIN_NUM_FORMS": "0", "memberships-MAX_NUM_FORMS": "1000",
        "memberships-0-id": admin.pk, "memberships-0-team": team.pk, "memberships-0-user": admin.user_id,
        "memberships-0-role": "admin", "memberships-0-DELETE": "on",
        "memberships-1-id": member.pk, "memberships-1-team": team.pk, "memberships-1-user": member.user_id,
        "memberships-1-role": "member", "memberships-1-DELETE": "on",
    }

    response = superuser_client.post(reverse("admin:credentials_app_team_change", args=[team.pk]), data)

    assert "needs at least one admin" in response.content.decode()
    assert Membership.objects.filter(team=team).count() == 2
