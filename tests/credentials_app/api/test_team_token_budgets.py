"""A team token whose creator is gone still spends check budgets, and the history names it."""
import pytest

from connectors.sandbox import keys
from credentials_app.events import SYSTEM
from credentials_app.models import AuditEvent, CredentialShare

pytestmark = pytest.mark.django_db


@pytest.fixture
def orphan_team(user_factory, team_factory, api_client_for, credential_factory, share_factory):
    """Return (team, an API client for a team token whose creator was deleted, a credential the team manages)."""
    ada, bob = user_factory("ada"), user_factory("bob")
    team = team_factory("Ops", admins=[ada, bob])
    api = api_client_for(ada, team=team, name="Ops robot")
    credential = credential_factory(owner=bob, name="Events")
    share_factory(credential, team, level=CredentialShare.Level.MANAGE)
    ada.delete()
    return team, api, credential


def test_replacing_keys_through_an_orphaned_team_token_is_budgeted(orphan_team, sandbox, settings):
    """Wrong keys sent through a team token with no creator meet the per-credential budget: the valid one is not tried."""
    _team, api, credential = orphan_team
    answers = [api.post(f"/credentials/{credential.pk}/key", {"key": f"{keys.REJECTED}{n}"}).status_code
               for n in range(settings.CHECK_BUDGET_PER_CREDENTIAL + 1)]
    checks_so_far = len(sandbox.state.requests)

    last = api.post(f"/credentials/{credential.pk}/key", {"key": keys.VALID})

    assert answers == [422] * settings.CHECK_BUDGET_PER_CREDENTIAL + [429]
    assert last.status_code == 429 and len(sandbox.state.requests) == checks_so_far


def test_checks_through_an_orphaned_team_token_spend_the_token_and_team_budgets(
        orphan_team, api_client_for, user_factory, credential_factory, share_factory, sandbox, settings):
    """Past a person's budget of checks, across credentials, the token is refused, and so is another token of its team."""
    settings.CHECK_BUDGET_PER_USER, settings.CHECK_BUDGET_PER_PROVIDER = 3, 3
    team, api, _credential = orphan_team
    carol = user_factory("carol")
    team.memberships.create(user=carol, role="admin")
    second = api_client_for(carol, team=team, name="Second robot")
    carol.delete()
    others = [credential_factory(owner=user_factory()) for _ in range(4)]
    for credential in others:
        share_factory(credential, team)

    answers = [api.post(f"/credentials/{credential.pk}/check").status_code for credential in others]

    assert answers == [200, 200, 200, 429]
    assert second.post(f"/credentials/{others[0].pk}/check").status_code == 429


def test_the_history_names_the_orphaned_token_never_system(orphan_team, sandbox):
    """Events done through a team token with no creator name the token as who did them."""
    _team, api, credential = orphan_team
    assert api.post(f"/credentials/{credential.pk}/key", {"key": keys.REJECTED}).status_code == 422
    assert api.post(f"/credentials/{credential.pk}/check").status_code == 200

    actors = set(AuditEvent.objects.filter(credential=credential, action__in=["checked"]).values_list("actor_name", flat=True))
    assert actors == {"API token “Ops robot” (" + api.raw_token[:12] + "…)"}
    history = api.get(f"/credentials/{credential.pk}/history").json()["items"]
    assert SYSTEM not in [item["actor"] for item in history]
