"""Teams: create one, invite people by email, change roles, remove, leave; the last admin stays."""
import re

import pytest
from django.urls import reverse

from credentials_app.models import Membership, Team

pytestmark = pytest.mark.django_db


def test_a_user_creates_a_team_and_becomes_its_admin(client, user_factory):
    """Creating a team on the Teams page makes the creator its Admin and lists the team."""
    ada = user_factory("ada")
    client.force_login(ada)

    response = client.post(reverse("team_list"), {"name": "Box office"}, follow=True)

    team = Team.objects.get(name="Box office")
    assert Membership.objects.get(team=team, user=ada).role == Membership.Role.ADMIN
    assert "Team “Box office” created. You are its admin." in response.content.decode()
    listing = client.get(reverse("team_list")).content.decode()
    assert "Box office" in listing and "Admin" in listing


def test_a_team_name_already_taken_gets_a_clear_message(client, user_factory, team_factory):
    """Two teams cannot share a name, whatever the case; nothing is created."""
    team_factory("Ops")
    client.force_login(user_factory())

    response = client.post(reverse("team_list"), {"name": "ops"})

    assert "A team named “ops” already exists. Choose another name." in response.content.decode()
    assert Team.objects.count() == 1


def test_inviting_answers_the_same_whether_or_not_an_account_exists(client, user_factory, team_factory, settings):
    """Inviting bob's address and an unknown one: the same answer, nobody added until they accept."""
    settings.EMAIL_CONFIGURED = False
    ada, bob = user_factory("ada"), user_factory("bob")
    team = team_factory("Ops", admins=[ada])
    client.force_login(ada)

    answers = []
    for email in ["bob@example.com", "nobody@example.com"]:
        response = client.post(reverse("team_member_add", args=[team.pk]), {"email": email, "role": "member"}, follow=True)
        said = re.search(r'<ul class="messages".*?</ul>', response.content.decode(), re.S).group(0)
        answers.append((response.status_code, re.sub(r"https?://\S+/invitations/\S+/", "LINK", said.replace(email, "EMAIL"))))

    assert answers[0] == answers[1]
    assert "This install sends no mail: pass them this link" in answers[0][1]
    assert not Membership.objects.filter(team=team, user=bob).exists()


def test_a_bad_address_is_refused_with_a_message(client, user_factory, team_factory):
    """Something that is not an email address is refused on the form; no invitation is made."""
    ada = user_factory("ada")
    team = team_factory("Ops", admins=[ada])
    client.force_login(ada)

    response = client.post(reverse("team_member_add", args=[team.pk]), {"email": "nobody", "role": "member"})

    assert response.status_code == 400
    assert "Enter a valid email address." in response.content.decode()
    assert not team.invitations.exists()


def test_admin_changes_roles_and_removes_members(client, user_factory, team_factory):
    """A team admin promotes a member to Admin, demotes them again, then removes them."""
    ada, bob = user_factory("ada"), user_factory("bob")
    team = team_factory("Ops", admins=[ada], members=[bob])
    bobs = Membership.objects.get(team=team, user=bob)
    client.force_login(ada)

    client.post(reverse("team_member_role", args=[team.pk, bobs.pk]), {"role": "admin"})
    assert Membership.objects.get(pk=bobs.pk).role == Membership.Role.ADMIN
    client.post(reverse("team_member_role", args=[team.pk, bobs.pk]), {"role": "member"})
    assert Membership.objects.get(pk=bobs.pk).role == Membership.Role.MEMBER
    client.post(reverse("team_member_remove", args=[team.pk, bobs.pk]))

    assert not Membership.objects.filter(pk=bobs.pk).exists()


def test_the_last_admin_cannot_leave_or_step_down_until_someone_else_is_admin(client, user_factory, team_factory):
    """The only admin is told to make someone else an admin first; after that they can leave."""
    ada, bob = user_factory("ada"), user_factory("bob")
    team = team_factory("Ops", admins=[ada], members=[bob])
    adas = Membership.objects.get(team=team, user=ada)
    client.force_login(ada)

    refused = client.post(reverse("team_leave", args=[team.pk]), follow=True)
    assert "You cannot leave yet: “Ops” needs at least one admin. Make someone else an admin first." in (
        refused.content.decode()
    )
    demoted = client.post(reverse("team_member_role", args=[team.pk, adas.pk]), {"role": "member"}, follow=True)
    assert "needs at least one admin" in demoted.content.decode()
    assert Membership.objects.get(pk=adas.pk).role == Membership.Role.ADMIN

    bobs = Membership.objects.get(team=team, user=bob)
    client.post(reverse("team_member_role", args=[team.pk, bobs.pk]), {"role": "admin"})
    left = client.post(reverse("team_leave", args=[team.pk]), follow=True)

    assert "You left “Ops”." in left.content.decode()
    assert not Membership.objects.filter(team=team, user=ada).exists()


def test_a_member_leaves_a_team(client, user_factory, team_factory):
    """A member leaves with one click and the team drops off their Teams list."""
    ada, bob = user_factory("ada"), user_factory("bob")
    team = team_factory("Ops", admins=[ada], members=[bob])
    client.force_login(bob)

    response = client.post(reverse("team_leave", args=[team.pk]), follow=True)

    assert response.redirect_chain[-1][0] == reverse("team_list")
    assert not Membership.objects.filter(team=team, user=bob).exists()
    assert "You are not in any team yet." in response.content.decode()


def test_members_see_no_admin_controls(client, user_factory, team_factory):
    """A Member sees the members and can leave, but gets no add, role or remove controls."""
    ada, bob = user_factory("ada"), user_factory("bob")
    team = team_factory("Ops", admins=[ada], members=[bob])
    client.force_login(bob)

    page = client.get(reverse("team_detail", args=[team.pk])).content.decode()

    assert "ada" in page and "Leave team" in page
    assert "Add member" not in page and "Change role" not in page and "Remove" not in page


def test_team_page_lists_shared_credentials_without_the_key(
    client, user_factory, credential_factory, team_factory, share_factory
):
    """The team page shows name, provider, level and who shared it; never the key."""
    ada, bob = user_factory("ada"), user_factory("bob")
    team = team_factory("Ops", admins=[ada], members=[bob])
    credential = credential_factory(owner=ada, name="Box office", provider="humanitix", key="hx-secret-abcd-9876")
    share_factory(credential, team, level="manage", shared_by=ada)
    client.force_login(bob)

    page = client.get(reverse("team_detail", args=[team.pk])).content.decode()

    row = page[page.index(f'data-credential-id="{credential.pk}"'):]
    row = row[: row.index("</tr>")]
    assert "Box office" in row and "Humanitix" in row and "Can manage" in row and "ada" in row
    assert "hx-secret-abcd-9876" not in page
    assert credential.secret not in page
