"""Team invitations: a signed link, mailed or handed to the admin, that works once and expires; accepting
makes an account or uses the one signed in, and joins the team at the role chosen. All audited."""
import re
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from credentials_app.models import AuditEvent, Invitation, Membership

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def ops(user_factory, team_factory):
    ada = user_factory("ada")
    return ada, team_factory("Ops", admins=[ada])


def invite(client, admin, team, email="new@example.com", role="member") -> str:
    """Invite email as admin without mail configured; return the link the admin is given."""
    client.force_login(admin)
    response = client.post(reverse("team_member_add", args=[team.pk]), {"email": email, "role": role}, follow=True)
    return re.search(r"http://testserver(/invitations/[^/\s]+/)", response.content.decode()).group(1)


def test_without_mail_the_admin_gets_a_link_that_makes_an_account_and_joins(client, ops, settings):
    """A new person opens the link, chooses a username and password, and is in the team, signed in."""
    settings.EMAIL_CONFIGURED = False
    ada, team = ops
    link = invite(client, ada, team, role="admin")
    newcomer = Client()

    assert "Join “Ops”" in newcomer.get(link).content.decode()
    response = newcomer.post(link, {"username": "nina", "password1": "a-long-pass-phrase", "password2": "a-long-pass-phrase"})

    assert response["Location"] == reverse("team_detail", args=[team.pk])
    membership = Membership.objects.get(team=team, user__username="nina")
    # The link went to the admin, not to the address: the account does not get an address it never proved.
    assert membership.role == Membership.Role.ADMIN and membership.user.email == ""
    assert newcomer.get(reverse("team_detail", args=[team.pk])).status_code == 200
    assert AuditEvent.objects.filter(action=AuditEvent.Action.INVITED, actor=ada).exists()
    assert AuditEvent.objects.filter(action=AuditEvent.Action.INVITATION_ACCEPTED, actor=membership.user).exists()


def test_with_mail_the_person_gets_the_link_and_the_admin_does_not(client, ops, settings, mailoutbox):
    """With mail configured, the link goes only to the invited address."""
    settings.EMAIL_CONFIGURED = True
    ada, team = ops
    client.force_login(ada)

    response = client.post(reverse("team_member_add", args=[team.pk]), {"email": "New@Example.com", "role": "member"}, follow=True)

    assert "Invitation sent to new@example.com" in response.content.decode()
    assert "/invitations/" not in response.content.decode().split('class="messages"')[1].split("</ul>")[0]
    assert mailoutbox[0].to == ["new@example.com"]
    link = re.search(r"http://testserver(/invitations/[^/\s]+/)", mailoutbox[0].body).group(1)
    assert Client().get(link).status_code == 200


def test_someone_signed_in_joins_with_their_own_account(client, ops, user_factory, settings):
    """An existing account accepts while signed in and keeps its username."""
    settings.EMAIL_CONFIGURED = False
    ada, team = ops
    bob = user_factory("bob")
    link = invite(client, ada, team)
    client.force_login(bob)

    client.post(link)

    assert Membership.objects.get(team=team, user=bob).role == Membership.Role.MEMBER


def test_a_link_works_once(client, ops, user_factory, settings):
    """The second use of a link is refused (410) and joins nobody."""
    settings.EMAIL_CONFIGURED = False
    ada, team = ops
    bob, carol = user_factory("bob"), user_factory("carol")
    link = invite(client, ada, team)
    client.force_login(bob)
    client.post(link)
    client.force_login(carol)

    response = client.post(link)

    assert response.status_code == 410
    assert "expired or was already used" in response.content.decode()
    assert not Membership.objects.filter(team=team, user=carol).exists()


def test_an_expired_a_withdrawn_and_a_forged_link_are_refused(client, ops, settings):
    """Past INVITATION_DAYS, after the admin withdraws it, or with a changed signature: 410, nobody joins."""
    settings.EMAIL_CONFIGURED = False
    ada, team = ops
    expired = invite(client, ada, team, email="late@example.com")
    Invitation.objects.filter(email="late@example.com").update(expires_at=timezone.now() - timedelta(seconds=1))
    withdrawn = invite(client, ada, team, email="gone@example.com")
    client.post(reverse("team_invitation_withdraw", args=[team.pk, Invitation.objects.get(email="gone@example.com").pk]))
    forged = invite(client, ada, team, email="fine@example.com")[:-3] + "xx/"

    for link in (expired, withdrawn, forged):
        assert Client().get(link).status_code == 410, link
    assert team.memberships.count() == 1


def test_only_the_teams_admins_invite_or_withdraw(client, ops, user_factory, team_factory, settings):
    """A member may not invite (403) and an outsider does not see the team (404)."""
    settings.EMAIL_CONFIGURED = False
    ada, team = ops
    member, outsider = user_factory("mo"), user_factory("out")
    team.memberships.create(user=member, role=Membership.Role.MEMBER)
    invite(client, ada, team)
    invitation = Invitation.objects.get()

    for user, status in ((member, 403), (outsider, 404)):
        client.force_login(user)
        assert client.post(reverse("team_member_add", args=[team.pk]), {"email": "x@example.com", "role": "admin"}).status_code == status
        assert client.post(reverse("team_invitation_withdraw", args=[team.pk, invitation.pk])).status_code == status
    assert Invitation.objects.count() == 1



@pytest.mark.parametrize("setting", [{"LOCAL_SIGN_UP": False}, {"LOCAL_SIGN_UP": False, "LOCAL_SIGN_IN": "owner"}])
def test_without_local_sign_up_an_invitation_makes_no_account(client, ops, settings, setting):
    """LOCAL_SIGN_UP=false: the link offers only signing in; a posted account form makes nothing."""
    settings.EMAIL_CONFIGURED = False
    for name, value in setting.items():
        setattr(settings, name, value)
    ada, team = ops
    link = invite(client, ada, team)
    newcomer = Client()

    page = newcomer.get(link).content.decode()
    newcomer.post(link, {"username": "nina", "password1": "a-long-pass-phrase", "password2": "a-long-pass-phrase"})

    assert "Sign in</a> to join" in page and "Make my account" not in page
    assert not get_user_model().objects.filter(username="nina").exists()


def test_the_link_handed_to_the_admin_never_travels_in_a_cookie(client, ops, settings):
    """The page message holding the link is kept on the server, not in a cookie the browser stores."""
    settings.EMAIL_CONFIGURED = False
    ada, team = ops
    client.force_login(ada)

    response = client.post(reverse("team_member_add", args=[team.pk]), {"email": "new@example.com", "role": "member"})

    assert response.status_code == 302
    assert "messages" not in response.cookies
    assert "/invitations/" in client.get(response["Location"]).content.decode()
