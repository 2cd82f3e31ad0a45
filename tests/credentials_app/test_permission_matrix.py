"""Who gets what, on every endpoint that takes a credential or team id: one table, exact statuses.

Each row names an endpoint and the status every kind of user gets:
- credential rows are keyed by the user's access to the credential: "manage", "use" or "none";
- team rows by the user's role in the team: "admin", "member" or "none";
- admin rows by what the user is in /admin/: "superuser", "viewer" (staff with view permissions),
  "staff" (staff without permissions) or "user" (not staff).
A row whose URL name does not resolve fails, so a renamed URL cannot drop out of the matrix;
a new endpoint joins it by adding one row. Superusers get no extra powers outside /admin/: their tool is the admin.
"""
import uuid
from dataclasses import dataclass, field
from typing import Callable

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from connectors.sandbox import keys
from credentials_app.models import CredentialShare, Membership

pytestmark = pytest.mark.django_db

UNSHARED = "unshared"
LEVELS = [UNSHARED, CredentialShare.Level.USE, CredentialShare.Level.MANAGE]
ACTORS = ["owner", "team_admin", "team_member", "outsider", "staff", "viewer", "superuser"]


@dataclass(frozen=True)
class Row:
    name: str
    method: str
    url: Callable  # world → path
    expect: dict
    data: Callable = field(default=lambda world: {})
    needs_sandbox: bool = False


def cred(url_name, *extra):
    return lambda world: reverse(url_name, args=[world.credential.pk, *[getattr(world, name).pk for name in extra]])


def team(url_name, *extra):
    return lambda world: reverse(url_name, args=[world.ops.pk, *[getattr(world, name).pk for name in extra]])


SEEN_MANAGED = {"manage": 200, "use": 403, "none": 404}
ACTION_MANAGED = {"manage": 302, "use": 403, "none": 404}
ACTION_USED = {"manage": 302, "use": 302, "none": 404}

CREDENTIAL_ROWS = [
    # Authenticate screen: a usable credential makes the data source; any other is refused as unselected.
    Row("authenticate select", "post", lambda world: reverse("authenticate", args=["source", "humanitix"]),
        {"manage": 302, "use": 302, "none": 200},
        data=lambda world: {"credential": world.credential.pk, "name": "Weekly sales", "creation_token": uuid.uuid4()}),
    Row("sharing page", "get", cred("credential_sharing"), SEEN_MANAGED),
    Row("share", "post", cred("credential_sharing"), ACTION_MANAGED,
        data=lambda world: {"teams": [world.own_team.pk], "level": "use"}),
    Row("share level", "post", cred("credential_share_level", "audit"), ACTION_MANAGED,
        data=lambda world: {"level": "manage"}),
    Row("unshare", "post", cred("credential_unshare", "audit"), ACTION_MANAGED),
    # The credential pages (issue 5).
    Row("detail", "get", cred("credential_detail"), {"manage": 200, "use": 200, "none": 404}),
    Row("check", "post", cred("credential_check_now"), ACTION_USED, needs_sandbox=True),
    Row("replace key", "post", cred("credential_replace_key"), ACTION_MANAGED,
        data=lambda world: {"key": keys.VALID}, needs_sandbox=True),
    Row("rename", "post", cred("credential_rename"), ACTION_MANAGED, data=lambda world: {"name": "Renamed"}),
    Row("description", "post", cred("credential_edit_description"), ACTION_MANAGED,
        data=lambda world: {"description": "For the weekly report"}),
    Row("disable", "post", cred("credential_disable"), ACTION_MANAGED),
    Row("enable", "post", cred("credential_enable"), ACTION_MANAGED),
    Row("delete", "post", cred("credential_delete"), ACTION_MANAGED),
    Row("allow machine reads", "post", cred("credential_machine_reads"), ACTION_MANAGED,
        data=lambda world: {"allowed": "on", "connection_name": "box_office"}),
    Row("share at manage", "post", cred("credential_sharing"), ACTION_MANAGED,
        data=lambda world: {"teams": [world.own_team.pk], "level": "manage"}),
]

TEAM_ROWS = [
    Row("team page", "get", team("team_detail"), {"admin": 200, "member": 200, "none": 404}),
    Row("add member", "post", team("team_member_add"), {"admin": 302, "member": 403, "none": 404},
        data=lambda world: {"email": world.newcomer.email, "role": "member"}),
    Row("change role", "post", team("team_member_role", "target"), {"admin": 302, "member": 403, "none": 404},
        data=lambda world: {"role": "admin"}),
    Row("remove member", "post", team("team_member_remove", "target"), {"admin": 302, "member": 403, "none": 404}),
    Row("leave", "post", team("team_leave"), {"admin": 302, "member": 302, "none": 404}),
    Row("add member as admin", "post", team("team_member_add"), {"admin": 302, "member": 403, "none": 404},
        data=lambda world: {"email": world.newcomer.email, "role": "admin"}),
    Row("two-factor rule", "post", team("team_two_factor"), {"admin": 302, "member": 403, "none": 404},
        data=lambda world: {"required": "on"}),
]

TOKEN_CREATE = Row("create token", "post", lambda world: reverse("token_list"), {},
                   data=lambda world: {"name": "Airflow", "owner": "", "expiry": "90", "scopes": ["credentials:read"]})
# The acts that ask for the password or a second factor again once the last proof is old (issue 21),
# each with the actor allowed to do it.
SENSITIVE = {
    "delete": "owner", "allow machine reads": "owner", "share at manage": "owner", "share level": "owner",
    "change role": "team_admin", "add member as admin": "team_admin", "two-factor rule": "team_admin",
    "create token": "owner",
}

ADMIN_ROWS = [
    Row("admin credential list", "get", lambda world: reverse("admin:credentials_app_credential_changelist"),
        {"superuser": 200, "viewer": 200, "staff": 403, "user": 302}),
    Row("admin credential page", "get", cred("admin:credentials_app_credential_change"),
        {"superuser": 200, "viewer": 200, "staff": 403, "user": 302}),
    Row("admin credential save", "post", cred("admin:credentials_app_credential_change"),
        {"superuser": 302, "viewer": 403, "staff": 403, "user": 302},
        data=lambda world: {"name": "Renamed in admin", "description": "", "new_key": ""}),
    Row("admin team page", "get", team("admin:credentials_app_team_change"),
        {"superuser": 200, "viewer": 200, "staff": 403, "user": 302}),
    Row("admin membership list", "get", lambda world: reverse("admin:credentials_app_membership_changelist"),
        {"superuser": 200, "viewer": 200, "staff": 403, "user": 302}),
]


class World:
    """Ops (team_admin and a spare admin; owner, team_member and target as members), the credential
    shared with Ops at the level under test and with Audit (nobody's team here) at "Can use"."""

    def __init__(self, user_factory, credential_factory, team_factory, share_factory, level, actor):
        self.users = {name: user_factory(name) for name in ("owner", "team_admin", "team_member", "outsider")}
        self.users["staff"] = user_factory("staff", is_staff=True)
        self.users["viewer"] = user_factory("viewer", is_staff=True)
        self.users["viewer"].user_permissions.set(
            Permission.objects.filter(
                codename__in=["view_credential", "view_team", "view_membership"], content_type__app_label="credentials_app"
            )
        )
        self.users["superuser"] = user_factory("superuser", is_staff=True, is_superuser=True)
        spare, target, self.newcomer = user_factory("spare"), user_factory("target"), user_factory("newcomer")
        self.ops = team_factory(
            "Ops",
            admins=[self.users["team_admin"], spare],
            members=[self.users["owner"], self.users["team_member"], target],
        )
        self.target = Membership.objects.get(team=self.ops, user=target)
        self.audit = team_factory("Audit", admins=[spare])
        self.own_team = team_factory(f"{actor}'s own team", admins=[self.users[actor]])
        self.credential = credential_factory(owner=self.users["owner"], name="Box office", key=keys.VALID)
        share_factory(self.credential, self.audit)
        if level != UNSHARED:
            share_factory(self.credential, self.ops, level=level)

    def credential_access(self, actor, level) -> str:
        if actor == "owner":
            return "manage"
        if actor in ("team_admin", "team_member") and level != UNSHARED:
            return level
        return "none"

    def team_role(self, actor) -> str:
        return {"team_admin": "admin", "owner": "member", "team_member": "member"}.get(actor, "none")

    @staticmethod
    def admin_kind(actor) -> str:
        return actor if actor in ("superuser", "viewer", "staff") else "user"


@pytest.fixture
def make_world(user_factory, credential_factory, team_factory, share_factory):
    """Return a function that builds the World for a share level and an actor."""
    return lambda level, actor: World(user_factory, credential_factory, team_factory, share_factory, level, actor)


def run(client, request, world, row, actor):
    """Sign in as actor and call row's endpoint."""
    if row.needs_sandbox:
        request.getfixturevalue("sandbox")
    url = row.url(world)
    client.force_login(world.users[actor])
    return getattr(client, row.method)(url, row.data(world))


@pytest.mark.parametrize("level", LEVELS)
@pytest.mark.parametrize("actor", ACTORS)
@pytest.mark.parametrize("row", CREDENTIAL_ROWS, ids=lambda row: row.name)
def test_credential_endpoints(client, request, make_world, row, actor, level):
    """Unseen credential → 404, seen but not managed → 403 on managing actions, allowed → the page or redirect."""
    world = make_world(level, actor)
    access = world.credential_access(actor, level)

    response = run(client, request, world, row, actor)

    assert response.status_code == row.expect[access], f"{actor} with {access} access"
    if row.name == "authenticate select" and access == "none":
        assert "Select a credential first." in response.content.decode()


@pytest.mark.parametrize("actor", ACTORS)
@pytest.mark.parametrize("row", TEAM_ROWS, ids=lambda row: row.name)
def test_team_endpoints(client, request, make_world, row, actor):
    """Non-members get 404 on a team's pages and actions; members 403 on admin actions; admins may act."""
    world = make_world(CredentialShare.Level.USE, actor)

    response = run(client, request, world, row, actor)

    assert response.status_code == row.expect[world.team_role(actor)]


@pytest.mark.parametrize("actor", ACTORS)
@pytest.mark.parametrize("row", ADMIN_ROWS, ids=lambda row: row.name)
def test_admin_endpoints(client, request, make_world, row, actor):
    """In /admin/ superusers see everything, staff only what their model permissions allow, others sign in."""
    world = make_world(CredentialShare.Level.USE, actor)

    response = run(client, request, world, row, actor)

    assert response.status_code == row.expect[World.admin_kind(actor)]


def age_proof(client):
    """Make the session's last proof of identity older than REAUTHENTICATION_MINUTES."""
    from credentials_app.signin.proof import SESSION_KEY

    session = client.session
    session[SESSION_KEY] = 0
    session.save()


@pytest.mark.parametrize(
    "row", [row for row in [*CREDENTIAL_ROWS, *TEAM_ROWS, TOKEN_CREATE] if row.name in SENSITIVE], ids=lambda row: row.name
)
def test_sensitive_acts_are_refused_without_a_recent_proof(client, request, make_world, row):
    """Each sensitive act, by someone allowed to do it, first asks for the password or a second factor again."""
    from credentials_app.models import AuditEvent, ApiToken

    assert len(SENSITIVE) == 8
    actor = SENSITIVE[row.name]
    world = make_world(CredentialShare.Level.MANAGE, actor)
    client.force_login(world.users[actor])
    age_proof(client)
    before = (AuditEvent.objects.count(), ApiToken.objects.count(), list(Membership.objects.values_list("role")))

    response = getattr(client, row.method)(row.url(world), row.data(world))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_reauthenticate"))
    assert (AuditEvent.objects.count(), ApiToken.objects.count(), list(Membership.objects.values_list("role"))) == before


@pytest.mark.parametrize("row", [*CREDENTIAL_ROWS, *TEAM_ROWS, TOKEN_CREATE], ids=lambda row: row.name)
def test_an_enforced_member_who_has_not_enrolled_reaches_nothing_but_enrolment(client, request, make_world, row):
    """In a team that requires two factors, a member without one is sent to enrolment from every endpoint."""
    world = make_world(CredentialShare.Level.MANAGE, "team_member")
    world.ops.two_factor_required = True
    world.ops.save()

    response = run(client, request, world, row, "team_member")

    assert response.status_code == 302
    assert response["Location"] == reverse("mfa_index")
    assert client.get(reverse("mfa_index")).status_code == 200


def test_removing_one_of_a_teams_admins_asks_for_a_recent_proof_removing_a_member_does_not(client, make_world):
    """Removing an admin changes the team's admins: a stale sign-in is asked again; a plain member goes at once."""
    world = make_world(CredentialShare.Level.MANAGE, "team_admin")
    client.force_login(world.users["team_admin"])
    age_proof(client)
    url = team("team_member_remove", "target")(world)
    target = Membership.objects.get(pk=url.rstrip("/").split("/")[-2])
    Membership.objects.filter(pk=target.pk).update(role=Membership.Role.ADMIN)

    asked = client.post(url)

    assert asked.status_code == 302 and asked["Location"].startswith(reverse("account_reauthenticate"))
    assert Membership.objects.filter(pk=target.pk).exists()
    Membership.objects.filter(pk=target.pk).update(role=Membership.Role.MEMBER)
    assert client.post(url).status_code == 302 and not Membership.objects.filter(pk=target.pk).exists()
