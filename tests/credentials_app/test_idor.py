"""Another user's ids in any URL get 404: guessing or copying an id reveals and changes nothing."""
import pytest
from django.urls import reverse

from credentials_app.models import AuditEvent, Connection, Credential, CredentialShare, Membership

pytestmark = pytest.mark.django_db


@pytest.fixture
def two_worlds(user_factory, credential_factory, team_factory, share_factory, connection_factory):
    """Return alice and bob, each admin of their own team, each with a shared credential and a data source."""
    worlds = {}
    for name in ("alice", "bob"):
        user = user_factory(name)
        team = team_factory(f"{name}'s team", admins=[user], members=[user_factory(f"{name}-mate")])
        credential = credential_factory(owner=user, name=f"{name}'s key")
        share_factory(credential, team, level="manage")
        connection = connection_factory(credential, f"{name}'s source", owner=user)
        worlds[name] = {
            "user": user, "team": team, "credential": credential, "connection": connection,
            "mate": Membership.objects.get(team=team, role=Membership.Role.MEMBER),
        }
    return worlds["alice"], worlds["bob"]


def urls_with_ids_of(mine, theirs):
    """Return (method, url name, args) for every URL taking an id, filled with theirs where it counts."""
    return [
        ("get", "credential_sharing", [theirs["credential"].pk]),
        ("post", "credential_sharing", [theirs["credential"].pk]),
        ("post", "credential_share_level", [theirs["credential"].pk, theirs["team"].pk]),
        ("post", "credential_unshare", [theirs["credential"].pk, theirs["team"].pk]),
        # Their team on my credential: the credential is not shared with it.
        ("post", "credential_share_level", [mine["credential"].pk, theirs["team"].pk]),
        ("post", "credential_unshare", [mine["credential"].pk, theirs["team"].pk]),
        ("get", "team_detail", [theirs["team"].pk]),
        ("post", "team_member_add", [theirs["team"].pk]),
        ("post", "team_member_role", [theirs["team"].pk, theirs["mate"].pk]),
        ("post", "team_member_remove", [theirs["team"].pk, theirs["mate"].pk]),
        # Their membership through my team's URL, where I am admin.
        ("post", "team_member_role", [mine["team"].pk, theirs["mate"].pk]),
        ("post", "team_member_remove", [mine["team"].pk, theirs["mate"].pk]),
        ("post", "team_leave", [theirs["team"].pk]),
        ("get", "connection_detail", [theirs["connection"].pk]),
        ("get", "credential_detail", [theirs["credential"].pk]),
        ("post", "credential_check_now", [theirs["credential"].pk]),
        ("post", "credential_replace_key", [theirs["credential"].pk]),
        ("post", "credential_rename", [theirs["credential"].pk]),
        ("post", "credential_edit_description", [theirs["credential"].pk]),
        ("post", "credential_disable", [theirs["credential"].pk]),
        ("post", "credential_enable", [theirs["credential"].pk]),
        ("post", "credential_delete", [theirs["credential"].pk]),
    ]


def snapshot():
    return (
        sorted(Credential.objects.values_list("pk", "name", "owner_id", "fingerprint", "disabled_at")),
        sorted(CredentialShare.objects.values_list("credential_id", "team_id", "level")),
        sorted(Membership.objects.values_list("team_id", "user_id", "role")),
        AuditEvent.objects.count(),
    )


def test_every_url_with_the_other_users_ids_is_not_found_and_changes_nothing(client, two_worlds):
    """Alice gets 404 for each of Bob's credentials, teams, memberships and connections; nothing changes."""
    alice, bob = two_worlds
    client.force_login(alice["user"])
    before = snapshot()

    for method, url_name, args in urls_with_ids_of(alice, bob):
        url = reverse(url_name, args=args)
        data = {"name": "x", "description": "x", "key": "sandbox_key_valid", "level": "use", "role": "admin",
                "user": "alice", "teams": [alice["team"].pk]}
        response = getattr(client, method)(url, data if method == "post" else None)
        assert response.status_code == 404, f"{method.upper()} {url_name} answered {response.status_code}"

    assert snapshot() == before


def test_choosing_the_other_users_credential_or_team_in_a_form_is_refused(client, two_worlds):
    """Bob's credential on the Authenticate screen and Bob's team on the sharing form are refused."""
    alice, bob = two_worlds
    client.force_login(alice["user"])

    chosen = client.post(
        reverse("authenticate", args=["source", "humanitix"]), {"credential": bob["credential"].pk, "name": "Mine"}
    )
    shared = client.post(
        reverse("credential_sharing", args=[alice["credential"].pk]), {"teams": [bob["team"].pk], "level": "use"}
    )

    assert "Select a credential first." in chosen.content.decode()
    assert not Connection.objects.filter(name="Mine").exists()
    assert shared.status_code == 400
    assert not CredentialShare.objects.filter(credential=alice["credential"], team=bob["team"]).exists()


def test_lists_show_only_what_the_user_may_use(client, two_worlds):
    """Alice's Authenticate screen, credential list and Teams page never show Bob's credential or team."""
    alice, bob = two_worlds
    client.force_login(alice["user"])

    pages = [
        client.get(reverse("authenticate", args=["source", "humanitix"])).content.decode(),
        client.get(reverse("team_list")).content.decode(),
        client.get(reverse("credential_list")).content.decode(),
    ]

    assert "alice&#x27;s key" in pages[0]
    for page in pages:
        assert str(bob["credential"].pk) not in page and "bob&#x27;s key" not in page
        assert str(bob["team"].pk) not in page and "bob&#x27;s team" not in page
