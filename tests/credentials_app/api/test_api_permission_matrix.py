"""Scopes × endpoints: a token never does more than its scopes (403), nor more than its person or team (404/403)."""
import pytest

from credentials_app.models import ApiToken, Connection, CredentialShare
from credentials_app.services.tokens import token_create
from tests.credentials_app.api.conftest import ALL_SCOPES

pytestmark = pytest.mark.django_db
Scope = ApiToken.Scope
PROBLEM = "urn:credential-manager:problem:"

# (method, path, scope, what the endpoint needs on its credential: None, "use" or "manage", body)
ENDPOINTS = [
    ("get", "/providers/", Scope.READ, None, None),
    ("get", "/providers/humanitix", Scope.READ, None, None),
    ("get", "/credentials/", Scope.READ, None, None),
    ("post", "/credentials/", Scope.WRITE, None, {"provider": "humanitix", "name": "N", "key": "sandbox_key_valid"}),
    ("get", "/credentials/{credential}", Scope.READ, "use", None),
    ("patch", "/credentials/{credential}", Scope.WRITE, "manage", {"name": "Renamed"}),
    ("post", "/credentials/{credential}/key", Scope.WRITE, "manage", {"key": "sandbox_key_valid"}),
    ("post", "/credentials/{credential}/check", Scope.CHECK, "use", None),
    ("post", "/credentials/{credential}/disable", Scope.WRITE, "manage", None),
    ("post", "/credentials/{credential}/enable", Scope.WRITE, "manage", None),
    ("delete", "/credentials/{credential}", Scope.WRITE, "manage", None),
    ("post", "/credentials/{credential}/move-and-delete", Scope.WRITE, "manage", {"replacement": "{other}"}),
    ("get", "/credentials/{credential}/history", Scope.READ, "use", None),
    ("get", "/credentials/{credential}/shares", Scope.READ, "manage", None),
    ("post", "/credentials/{credential}/shares", Scope.WRITE, "manage", {"team": "{team}", "level": "use"}),
    ("patch", "/credentials/{credential}/shares/{team}", Scope.WRITE, "manage", {"level": "manage"}),
    ("delete", "/credentials/{credential}/shares/{team}", Scope.WRITE, "manage", None),
    ("get", "/connections/", Scope.READ, None, None),
    ("post", "/connections/", Scope.WRITE, "use",
     {"kind": "source", "provider": "humanitix", "name": "Src", "credential": "{credential}"}),
    ("get", "/connections/{connection}", Scope.READ, None, None),
    ("get", "/teams/", Scope.READ, None, None),
    ("post", "/teams/", Scope.WRITE, None, {"name": "New team"}),
    ("get", "/teams/{team}", Scope.READ, None, None),
    ("get", "/teams/{team}/members", Scope.READ, None, None),
    ("post", "/teams/{team}/members", Scope.WRITE, None, {"email": "carol@example.com"}),
    ("patch", "/teams/{team}/members/{member}", Scope.WRITE, None, {"role": "admin"}),
    ("delete", "/teams/{team}/members/{member}", Scope.WRITE, None, None),
    ("get", "/credentials/{credential}/machine-reads", Scope.READ, "use", None),
    ("put", "/credentials/{credential}/machine-reads", Scope.WRITE, "manage",
     {"allowed": True, "connection_id": "main-reads"}),
    ("get", "/tokens/", Scope.READ, None, None),
    ("post", "/tokens/", Scope.WRITE, None, {"name": "Pipeline", "scopes": ["credentials:write"],
                                             "expires_in_days": 30}),
    ("post", "/tokens/{token}/revoke", Scope.WRITE, None, None),
]
IDS = [f"{method.upper()} {path}" for method, path, *_ in ENDPOINTS]


@pytest.fixture
def world(user_factory, credential_factory, team_factory, share_factory):
    """Ada owns a credential and a data source; Bob's team has Ada's other credential at "Can use"."""
    ada, bob, carol = user_factory("ada"), user_factory("bob"), user_factory("carol")
    team = team_factory("Ops", admins=[ada], members=[bob])
    credential = credential_factory(owner=ada, name="Main")
    other = credential_factory(owner=ada, name="Other")
    share_factory(credential, team, CredentialShare.Level.USE)
    share_factory(other, team, CredentialShare.Level.USE)
    connection = Connection.objects.create(owner=ada, kind="source", provider="humanitix", name="S",
                                           credential=credential)
    pipeline, _raw = token_create(creator=ada, name="Ada's pipeline", scopes=[Scope.USE])
    return {
        "ada": ada, "bob": bob, "carol": carol, "team": team,
        "ids": {"credential": credential.pk, "other": other.pk, "team": team.pk, "connection": connection.pk,
                "member": team.memberships.get(user=bob).pk, "token": pipeline.pk},
    }


def _fill(value, ids):
    if isinstance(value, str):
        return value.format(**{name: str(pk) for name, pk in ids.items()})
    if isinstance(value, dict):
        return {name: _fill(item, ids) for name, item in value.items()}
    return value


def _call(api, endpoint, ids):
    method, path, _scope, _needs, body = endpoint
    return getattr(api, method)(_fill(path, ids), json=_fill(body, ids) if body is not None else None)


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=IDS)
def test_a_token_without_the_scope_is_refused_and_nothing_changes(endpoint, world, api_client_for, sandbox):
    """Every scope but the one the endpoint needs: 403 missing-scope, naming the scope."""
    api = api_client_for(world["ada"], scopes=[scope for scope in ALL_SCOPES if scope != endpoint[2]])

    answer = _call(api, endpoint, world["ids"])

    assert answer.status_code == 403, answer.content
    assert answer.json()["type"] == PROBLEM + "missing-scope" and answer.json()["scope"] == endpoint[2]


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=IDS)
def test_the_one_scope_an_endpoint_needs_is_enough(endpoint, world, api_client_for, sandbox):
    """A token holding only the endpoint's scope gets past the scope check."""
    api = api_client_for(world["ada"], scopes=[endpoint[2]])
    answer = _call(api, endpoint, world["ids"])
    assert answer.status_code < 400 or answer.json()["type"] != PROBLEM + "missing-scope"


@pytest.mark.parametrize("endpoint", [e for e in ENDPOINTS if "{" in e[1]], ids=[i for e, i in zip(ENDPOINTS, IDS) if "{" in e[1]])
def test_an_outsider_token_sees_nothing(endpoint, world, api_client_for, sandbox):
    """Carol, in no team and owning nothing, gets 404 for every object, even with every scope."""
    api = api_client_for(world["carol"])
    answer = _call(api, endpoint, world["ids"])
    assert answer.status_code == 404, answer.content
    assert answer.json()["type"] == PROBLEM + "not-found"


MANAGE_ONLY = [e for e in ENDPOINTS if e[3] == "manage"]


@pytest.mark.parametrize("endpoint", MANAGE_ONLY, ids=[f"{e[0].upper()} {e[1]}" for e in MANAGE_ONLY])
@pytest.mark.parametrize("holder", ["bob's personal token", "the team's token"])
def test_can_use_is_not_can_manage(endpoint, holder, world, api_client_for, sandbox):
    """Through a "Can use" share, a person's or a team's token may not change the credential: 403."""
    if holder == "the team's token":
        api = api_client_for(world["ada"], team=world["team"], name="Ops robot")
    else:
        api = api_client_for(world["bob"])
    answer = _call(api, endpoint, world["ids"])
    assert answer.status_code == 403, answer.content
    assert answer.json()["type"] == PROBLEM + "forbidden"


USE_LEVEL = [e for e in ENDPOINTS if e[3] == "use" and e[1] != "/connections/"]


@pytest.mark.parametrize("endpoint", USE_LEVEL, ids=[f"{e[0].upper()} {e[1]}" for e in USE_LEVEL])
def test_can_use_reads_and_checks(endpoint, world, api_client_for, sandbox):
    """Through a "Can use" share, the token may read the credential, its history, and check it."""
    api = api_client_for(world["bob"])
    assert _call(api, endpoint, world["ids"]).status_code == 200


def test_team_membership_changes_need_a_team_admin(world, api_client_for):
    """Bob, a member, cannot add, promote or remove members; a team token administers nothing."""
    ids = world["ids"]
    for api in (api_client_for(world["bob"]), api_client_for(world["ada"], team=world["team"], name="Robot")):
        assert api.post(f"/teams/{ids['team']}/members", json={"email": "carol@example.com"}).status_code == 403
        assert api.patch(f"/teams/{ids['team']}/members/{ids['member']}", json={"role": "admin"}).status_code == 403
    assert world["team"].memberships.count() == 2
