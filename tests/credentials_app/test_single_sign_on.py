"""Single sign-on against a real OpenID Connect provider (django-oidc-provider) started on loopback:
the first sign-on makes the account, a verified email links an existing one, groups become teams,
and passwords can be kept for the owner alone."""
from urllib.parse import parse_qs, urljoin, urlsplit

import pytest
import requests
from django.contrib.auth import get_user_model
from django.urls import reverse

from credentials_app.models import AuditEvent, Membership, Team
from credentials_app.signin.sso import memberships_sync_from_groups
from tests.oidc_idp.server import identity_provider as start_identity_provider
from tests.oidc_idp.server import sso_settings

pytestmark = pytest.mark.django_db

CALLBACK = "http://testserver/accounts/oidc/sso/login/callback/"
GROUP_TEAMS = {"ops-admins": "Ops:admin", "ops": "Ops:member"}


@pytest.fixture(scope="module")
def identity_provider(tmp_path_factory):
    """The test identity provider (tests/oidc_idp) on 127.0.0.1; return its URL."""
    with start_identity_provider(callback=CALLBACK, folder=tmp_path_factory.mktemp("idp")) as url:
        yield url


@pytest.fixture
def sso(settings, identity_provider):
    """Point the app's single sign-on at the test provider."""
    settings.SOCIALACCOUNT_PROVIDERS = sso_settings(identity_provider)
    settings.OIDC_GROUP_TEAMS = GROUP_TEAMS
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    return identity_provider


def sign_on(client, username):
    """Press "Sign in with Test IdP", log in at the provider as username, and return the app's last answer."""
    location = client.post("/accounts/oidc/sso/login/")["Location"]
    browser = requests.Session()
    browser.trust_env = False
    while not location.startswith("http://testserver"):
        answer = browser.get(location, allow_redirects=False, timeout=10)
        if answer.status_code == 200:  # the provider's login form
            answer = browser.post(answer.url, allow_redirects=False, timeout=10, data={
                "username": username, "password": "idp-password-1",
                "next": parse_qs(urlsplit(answer.url).query)["next"][0],
                "csrfmiddlewaretoken": browser.cookies["csrftoken"],
            })
        location = urljoin(answer.url, answer.headers["Location"])
    split = urlsplit(location)
    return client.get(f"{split.path}?{split.query}")


def signed_in_user(client):
    user_id = client.session.get("_auth_user_id")
    return get_user_model().objects.get(pk=user_id) if user_id else None


def test_the_first_sign_on_makes_the_account_and_joins_the_teams_of_its_groups(client, sso, user_factory):
    """Grace, unknown here, signs on: her account is made, with her email, and she is an admin of Ops."""
    user_factory("owner", is_superuser=True, is_staff=True)
    assert "Sign in with Test IdP" in client.get(reverse("account_login")).content.decode()

    response = sign_on(client, "grace")

    assert response.status_code == 302 and response["Location"] == "/"
    grace = signed_in_user(client)
    assert grace.username == "grace" and grace.email == "grace@example.com"
    assert Membership.objects.get(team__name="Ops", user=grace).role == Membership.Role.ADMIN
    assert AuditEvent.objects.filter(action=AuditEvent.Action.SSO_SIGNED_UP, actor=grace).exists()
    event = AuditEvent.objects.get(action=AuditEvent.Action.TEAMS_FROM_GROUPS, actor=grace)
    assert event.details["changes"] == ["joined Ops as admin"]


def test_a_verified_email_links_to_the_existing_account(client, sso, user_factory):
    """The provider vouches for ada@example.com: signing on reaches Ada's own account, no new one."""
    ada = user_factory("ada")

    sign_on(client, "linus")

    assert signed_in_user(client) == ada
    assert not get_user_model().objects.filter(username="linus").exists()
    assert AuditEvent.objects.get(action=AuditEvent.Action.SSO_LINKED).actor == ada
    assert Membership.objects.get(team__name="Ops", user=ada).role == Membership.Role.MEMBER


def test_an_unverified_email_never_reaches_an_existing_account(client, sso, user_factory):
    """The provider does not vouch for owner@example.com: no link, the sign-up form asks for the rest instead,
    and the owner's password still works."""
    owner = user_factory("owner", is_superuser=True, is_staff=True)

    response = sign_on(client, "mallory")

    assert response["Location"] == reverse("socialaccount_signup")
    assert signed_in_user(client) is None
    owner.refresh_from_db()
    assert owner.check_password("pw-for-tests-1")


def test_groups_are_kept_in_step_but_a_team_keeps_its_last_admin(user_factory, team_factory, settings):
    """Leaving a group leaves its team, a new group changes the role; the last admin is never removed."""
    settings.OIDC_GROUP_TEAMS = GROUP_TEAMS
    grace, boss = user_factory("grace"), user_factory("boss")
    ops = team_factory("Ops", admins=[boss], members=[grace])

    memberships_sync_from_groups(user=grace, groups={"ops-admins"})
    assert Membership.objects.get(team=ops, user=grace).role == Membership.Role.ADMIN
    memberships_sync_from_groups(user=grace, groups=set())
    assert not Membership.objects.filter(team=ops, user=grace).exists()
    memberships_sync_from_groups(user=boss, groups=set())
    assert Membership.objects.filter(team=ops, user=boss).exists()
    assert Team.objects.count() == 1


@pytest.mark.parametrize("superuser, signed_in", [(False, False), (True, True)])
def test_with_local_sign_in_for_the_owner_only_others_must_sign_on(client, user_factory, settings, superuser, signed_in):
    """LOCAL_SIGN_IN=owner: a password signs in a superuser (break glass) and nobody else."""
    settings.LOCAL_SIGN_IN = "owner"
    user = user_factory(is_superuser=superuser, is_staff=superuser)

    response = client.post(reverse("account_login"), {"username": user.username, "password": "pw-for-tests-1"})

    assert (signed_in_user(client) is not None) == signed_in
    if not signed_in:
        assert "Sign in with single sign-on" in response.content.decode()
