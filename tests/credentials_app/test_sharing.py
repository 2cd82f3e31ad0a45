"""Sharing a credential with teams: "Can use" and "Can manage", level changes, unsharing, and the audit."""
import uuid

import pytest
from django.urls import reverse

from credentials_app.access import MANAGE, USE, access_level
from credentials_app.models import AuditEvent, Connection, CredentialShare
from credentials_app.selectors import credential_tiles

pytestmark = pytest.mark.django_db

KEY = "hx-live-7d3f-SECRET-4242"


@pytest.fixture
def people(user_factory, team_factory):
    """Return ada (owner), bob (her teammate in Ops), and eve (in another team, Sales)."""
    ada, bob, eve = user_factory("ada"), user_factory("bob"), user_factory("eve")
    ops = team_factory("Ops", admins=[ada], members=[bob])
    sales = team_factory("Sales", admins=[eve])
    return {"ada": ada, "bob": bob, "eve": eve, "ops": ops, "sales": sales}


@pytest.fixture
def credential(people, credential_factory):
    return credential_factory(owner=people["ada"], name="Box office", key=KEY)


def sharing_url(credential):
    return reverse("credential_sharing", args=[credential.pk])


def test_owner_shares_with_one_of_her_teams_and_it_is_audited(client, people, credential):
    """Sharing at "Can use" gives the team access, shows on the sharing page and records who, team, level."""
    client.force_login(people["ada"])

    response = client.post(sharing_url(credential), {"teams": [people["ops"].pk], "level": "use"}, follow=True)

    page = response.content.decode()
    assert "“Box office” is now shared with “Ops” (Can use)." in page
    assert access_level(people["bob"], credential) == USE
    event = AuditEvent.objects.get(credential=credential, action=AuditEvent.Action.SHARED)
    assert event.actor == people["ada"]
    assert event.details == {"team": "Ops", "team_id": str(people["ops"].pk), "level": "use"}
    assert KEY not in page and credential.masked_fingerprint in page


def test_sharing_with_several_teams_at_once(client, people, credential, team_factory):
    """One submit shares with each chosen team at the chosen level."""
    dev = team_factory("Dev", admins=[people["ada"]])
    client.force_login(people["ada"])

    client.post(sharing_url(credential), {"teams": [people["ops"].pk, dev.pk], "level": "manage"})

    assert set(credential.shares.values_list("team__name", "level")) == {("Ops", "manage"), ("Dev", "manage")}


def test_nobody_can_share_with_a_team_they_are_not_in(client, people, credential):
    """Another user's team is not offered, and posting its id anyway shares nothing."""
    client.force_login(people["ada"])

    page = client.get(sharing_url(credential)).content.decode()
    response = client.post(sharing_url(credential), {"teams": [people["sales"].pk], "level": "use"})

    assert "Sales" not in page
    assert response.status_code == 400
    assert not credential.shares.exists()


def test_can_use_puts_the_credential_on_the_authenticate_screen_with_its_origin(people, credential, share_factory):
    """A "Can use" teammate gets the tile, marked "Shared by ada via Ops"; the owner's says "Yours"."""
    share_factory(credential, people["ops"])

    bobs = credential_tiles(people["bob"], "humanitix")
    adas = credential_tiles(people["ada"], "humanitix")

    assert [(tile.credential, tile.origin) for tile in bobs] == [(credential, "Shared by ada via Ops")]
    assert [tile.origin for tile in adas] == ["Yours"]
    assert credential_tiles(people["eve"], "humanitix") == []


def test_can_use_member_builds_a_data_source_and_checks_again_but_cannot_manage(
    client, people, credential, sandbox, share_factory):
    """A "Can use" member selects it for a data source and checks it again; sharing it is refused (403)."""
    share_factory(credential, people["ops"])
    client.force_login(people["bob"])

    created = client.post(
        reverse("authenticate", args=["source", "humanitix"]), {"credential": credential.pk, "name": "Weekly"}
    )
    checked = client.post(reverse("credential_check_now", args=[credential.pk]))
    sharing = client.get(sharing_url(credential))

    connection = Connection.objects.get(owner=people["bob"])
    assert created.status_code == 302 and connection.credential == credential
    assert checked.status_code == 302
    assert AuditEvent.objects.filter(credential=credential, action="checked", actor=people["bob"]).exists()
    assert sharing.status_code == 403


def test_can_manage_member_may_share_with_his_own_teams_and_unshare(
    client, people, credential, team_factory, share_factory
):
    """A "Can manage" member shares onward with his own team and can unshare any team."""
    share_factory(credential, people["ops"], level="manage")
    bobs_team = team_factory("Bob's crew", admins=[people["bob"]])
    client.force_login(people["bob"])

    client.post(sharing_url(credential), {"teams": [bobs_team.pk], "level": "use"})
    assert credential.shares.filter(team=bobs_team, level="use", shared_by=people["bob"]).exists()

    client.post(reverse("credential_unshare", args=[credential.pk, people["ops"].pk]))
    assert not credential.shares.filter(team=people["ops"]).exists()
    assert access_level(people["bob"], credential) == USE  # still reached through his own team


def test_changing_the_level_takes_effect_and_is_audited(client, people, credential, share_factory):
    """Raising a share to "Can manage" lets the team manage at once; the audit keeps the old level."""
    share_factory(credential, people["ops"])
    client.force_login(people["ada"])

    client.post(reverse("credential_share_level", args=[credential.pk, people["ops"].pk]), {"level": "manage"})

    assert access_level(people["bob"], credential) == MANAGE
    event = AuditEvent.objects.get(credential=credential, action=AuditEvent.Action.SHARED)
    assert event.details["level"] == "manage" and event.details["previous_level"] == "use"


def test_unsharing_takes_effect_at_once_and_built_sources_keep_working_with_a_warning(
    client, people, credential, share_factory, connection_factory
):
    """After unsharing, bob loses the tile and access (404), his data source stays and warns him."""
    share_factory(credential, people["ops"])
    connection = connection_factory(credential, "Weekly", owner=people["bob"])
    client.force_login(people["ada"])
    response = client.post(reverse("credential_unshare", args=[credential.pk, people["ops"].pk]), follow=True)
    assert "is no longer shared with “Ops”" in response.content.decode()
    event = AuditEvent.objects.get(credential=credential, action=AuditEvent.Action.UNSHARED)
    assert event.details == {"team": "Ops", "team_id": str(people["ops"].pk), "level": "use"}

    client.force_login(people["bob"])
    detail = client.get(reverse("connection_detail", args=[connection.pk])).content.decode()

    assert Connection.objects.get(pk=connection.pk).credential == credential
    assert "The credential “Box office” is no longer shared with you." in detail
    assert credential_tiles(people["bob"], "humanitix") == []
    assert client.get(reverse("credential_detail", args=[credential.pk])).status_code == 404


def test_bad_level_is_refused_and_nothing_changes(client, people, credential, share_factory):
    """A level other than "Can use" or "Can manage" is refused with a message."""
    share_factory(credential, people["ops"])
    client.force_login(people["ada"])

    response = client.post(
        reverse("credential_share_level", args=[credential.pk, people["ops"].pk]), {"level": "owner"}, follow=True
    )

    assert "Choose “Can use” or “Can manage”." in response.content.decode()
    assert CredentialShare.objects.get().level == "use"


def test_sharing_pages_never_contain_the_key(client, people, credential, share_factory):
    """The sharing page and the team page show the fingerprint at most, never the key or its ciphertext."""
    share_factory(credential, people["ops"], level="manage")
    client.force_login(people["bob"])

    pages = [
        client.get(sharing_url(credential)).content.decode(),
        client.get(reverse("team_detail", args=[people["ops"].pk])).content.decode(),
    ]

    for page in pages:
        assert KEY not in page and credential.secret not in page
    assert "••••4242" in pages[0]


def test_shares_added_and_deleted_in_the_admin_are_audited(client, people, credential, user_factory):
    """A superuser sharing or unsharing in /admin/ leaves the same Shared and Unshared events."""
    root = user_factory("root", is_staff=True, is_superuser=True)
    client.force_login(root)

    client.post(
        reverse("admin:credentials_app_credentialshare_add"),
        {"credential": credential.pk, "team": people["sales"].pk, "level": "manage"},
    )
    created = CredentialShare.objects.get(team=people["sales"])
    client.post(reverse("admin:credentials_app_credentialshare_delete", args=[created.pk]), {"post": "yes"})

    assert created.shared_by == root
    actions = list(AuditEvent.objects.filter(credential=credential).order_by("id").values_list("action", "details"))
    team = {"team": "Sales", "team_id": str(people["sales"].pk), "level": "manage"}
    assert actions == [("shared", team), ("unshared", team)]
    assert not CredentialShare.objects.exists()


def test_access_level_agrees_with_the_credential_lists_for_every_principal(
    people, credential_factory, share_factory, team_factory, user_factory
):
    """For people and tokens alike, the level a proxied call is checked with is what the lists show.

    access_level and read_credential_for (the proxy's and Vault reads' one query) run their own SQL;
    the lists are ORM queries. Bob is in Ops and Dev, each sharing at a different level, and owns one
    credential; Eve's Sales shares nothing. Tokens are taken as the proxy takes them: through
    token_authenticate.
    """
    from django.contrib.auth.models import AnonymousUser
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from credentials_app.access import credentials_manageable_by, credentials_usable_by, read_credential_for
    from credentials_app.models import ApiToken
    from credentials_app.services.tokens import token_authenticate, token_create

    ada, bob, eve = people["ada"], people["bob"], people["eve"]
    dev = team_factory("Dev", admins=[ada], members=[bob])
    gone = user_factory("gone", is_active=False)
    team_factory("Old", members=[gone])
    used, managed, twice, private = (credential_factory(owner=ada, name=name) for name in ("U", "M", "T", "P"))
    bobs = credential_factory(owner=bob, name="B")
    for each in (used, managed, twice, private, bobs):
        each.connection_name = f"conn_{each.name.lower()}"
        each.save()
    share_factory(used, people["ops"])
    share_factory(managed, dev, level=CredentialShare.Level.MANAGE)
    share_factory(twice, people["ops"])
    share_factory(twice, dev, level=CredentialShare.Level.MANAGE)
    raw_tokens = [token_create(creator=creator, name=name, team=team, scopes=[ApiToken.Scope.USE])[1]
                  for creator, name, team in ((ada, "Ops token", people["ops"]), (ada, "Dev token", dev),
                                              (eve, "Sales token", people["sales"]), (ada, "ada's", None),
                                              (bob, "bob's", None))]
    tokens = [token_authenticate(raw) for raw in raw_tokens]
    principals = [ada, bob, eve, user_factory("loner"), gone, AnonymousUser(), *tokens]

    def matrix():
        levels = {}
        for who in principals:
            usable, manageable = set(credentials_usable_by(who)), set(credentials_manageable_by(who))
            for each in (used, managed, twice, private, bobs):
                expected = MANAGE if each in manageable else USE if each in usable else None
                label = who.name if isinstance(who, ApiToken) else who.username or "anonymous"
                assert access_level(who, each) == expected, (label, each.name)
                assert read_credential_for(who, "pk", each.pk) == (each, expected), (label, each.name)
                assert read_credential_for(who, "connection_name", each.connection_name) == (each, expected)
                levels[label, each.name] = expected
            assert read_credential_for(who, "pk", uuid.uuid4()) == (None, None)
        assert read_credential_for(None, "pk", used.pk) == (used, None)  # no token: found, not reached
        return levels

    levels = matrix()
    with CaptureQueriesContext(connection):  # access_level's SQL then runs on Django's cursor
        assert matrix() == levels

    # The matrix holds every answer: owned, the highest of several shares, one share, none.
    assert (levels["bob", "B"], levels["bob", "T"], levels["bob", "U"], levels["bob", "P"]) == (MANAGE, MANAGE, USE, None)
    assert (levels["ada's", "P"], levels["ada's", "B"], levels["bob's", "B"], levels["bob's", "M"]) == (
        MANAGE, None, MANAGE, MANAGE)
    assert (levels["Ops token", "U"], levels["Dev token", "M"], levels["Sales token", "U"]) == (USE, MANAGE, None)
    assert (levels["eve", "U"], levels["gone", "U"], levels["anonymous", "U"]) == (None, None, None)


@pytest.fixture
def share_manager_hiding(monkeypatch):
    """Return a function that gives CredentialShare a default manager hiding some shares, with the
    prepared SQL built anew under it (and again after the test)."""
    from django.db import models

    from credentials_app import access, prepared_reads

    def clear():
        access._share_statements.clear()
        prepared_reads._plans.clear()

    def hide(**hidden):
        class Hiding(models.Manager):
            def get_queryset(self):
                return super().get_queryset().exclude(**hidden)

        manager = Hiding()
        manager.model, manager.name = CredentialShare, "objects"
        monkeypatch.setattr(CredentialShare, "objects", manager)
        clear()

    yield hide
    clear()


def test_the_proxys_prepared_sql_keeps_every_rule_of_the_share_query(
    people, credential_factory, share_factory, share_manager_hiding
):
    """A rule added to the shares' default manager holds for a proxied call as for the pages' lists."""
    from credentials_app.access import credentials_usable_by, read_credential_for
    from credentials_app.models import ApiToken
    from credentials_app.services.tokens import token_authenticate, token_create

    ada, bob = people["ada"], people["bob"]
    used = credential_factory(owner=ada, name="Used")
    share_factory(used, people["ops"])
    raw = token_create(creator=ada, name="Ops token", team=people["ops"], scopes=[ApiToken.Scope.USE])[1]
    token = token_authenticate(raw)
    assert access_level(bob, used) == USE and read_credential_for(token, "pk", used.pk) == (used, USE)

    share_manager_hiding(level=CredentialShare.Level.USE)

    assert used not in credentials_usable_by(bob) and used not in credentials_usable_by(token)
    assert access_level(bob, used) is None and access_level(token, used) is None
    assert read_credential_for(bob, "pk", used.pk) == (used, None)
    assert read_credential_for(token, "pk", used.pk) == (used, None)
