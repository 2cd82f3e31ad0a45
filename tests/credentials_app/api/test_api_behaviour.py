"""The API's own rules: problems for every refusal, Idempotency-Key, paging, team tokens, the saved-unchecked permit."""
import pytest
from django.utils import timezone

from connectors.registry import CONNECTORS
from connectors.sandbox import keys
from credentials_app.models import ApiToken, AuditEvent, Credential, CredentialShare
from credentials_app.services.tokens import token_revoke
from tests.credentials_app.api.conftest import ApiClient

pytestmark = pytest.mark.django_db
PROBLEM = "urn:credential-manager:problem:"


def test_no_token_a_bad_token_and_a_revoked_token_are_401_problems(client, user_factory, api_client_for):
    """Missing, unknown and revoked tokens all answer 401 with a problem and WWW-Authenticate."""
    api = api_client_for(user_factory())
    token_revoke(token=ApiToken.objects.get())
    answers = [
        client.get("/api/v1/credentials/"),
        ApiClient(client, "cmk_made_up").get("/credentials/"),
        api.get("/credentials/"),
    ]
    for answer in answers:
        assert answer.status_code == 401 and answer["Content-Type"] == "application/problem+json"
        assert answer.json()["type"] == PROBLEM + "unauthenticated" and answer["WWW-Authenticate"].startswith("Bearer")


def test_a_malformed_body_is_a_422_problem_that_does_not_echo_the_input(user_factory, api_client_for):
    """Pydantic's refusal becomes an invalid-request problem, without the offending value."""
    api = api_client_for(user_factory())
    answer = api.post("/credentials/", {"provider": "humanitix", "name": "X", "key": ["sandbox_key_valid"]})
    assert answer.status_code == 422 and answer.json()["type"] == PROBLEM + "invalid-request"
    assert b"sandbox_key_valid" not in answer.content


def test_could_not_check_returns_a_permit_that_saves_the_same_key_unchecked(
    user_factory, api_client_for, sandbox, settings, awaited_read_timeout
):
    """A provider that cannot be asked answers 409 with a permit; presenting it saves "Could not check"."""
    settings.CONNECTOR_READ_TIMEOUT = awaited_read_timeout  # the slow key's is awaited
    api = api_client_for(user_factory())
    body = {"provider": "humanitix", "name": "Events", "key": "sandbox_key_error"}

    first = api.post("/credentials/", body)

    assert first.status_code == 409 and first.json()["type"] == PROBLEM + "could-not-check"
    permit = first.json()["permit"]
    other_key = api.post("/credentials/", {**body, "key": "sandbox_key_slow", "unverified_permit": permit})
    assert other_key.status_code == 409 and not Credential.objects.exists()
    saved = api.post("/credentials/", {**body, "unverified_permit": permit})
    assert saved.status_code == 201 and saved.json()["status"] == "could_not_check"


def test_a_restricted_key_is_saved_only_when_accepted(user_factory, api_client_for, sandbox):
    """Custify's 403 answers 409 key-restricted; accept_restricted saves it."""
    api = api_client_for(user_factory())
    body = {"provider": "custify", "name": "CRM", "key": "sandbox_key_forbidden"}
    refused = api.post("/credentials/", body)
    assert refused.status_code == 409 and refused.json()["type"] == PROBLEM + "key-restricted"
    assert api.post("/credentials/", {**body, "accept_restricted": True}).status_code == 201


def test_a_retried_post_with_the_same_idempotency_key_creates_one_credential(user_factory, api_client_for, sandbox):
    """The retry gets the first answer and creates nothing; the same key with another body is refused."""
    api = api_client_for(user_factory())
    body = {"provider": "humanitix", "name": "Events", "key": "sandbox_key_valid"}
    headers = {"Idempotency-Key": "create-events-1"}

    first = api.post("/credentials/", body, headers=headers)
    again = api.post("/credentials/", body, headers=headers)
    other = api.post("/credentials/", {**body, "name": "Other"}, headers=headers)

    assert first.status_code == again.status_code == 201
    assert again.json() == first.json() and again["Idempotent-Replayed"] == "true"
    assert other.status_code == 422 and other.json()["type"] == PROBLEM + "idempotency-key-reused"
    assert Credential.objects.count() == 1
    assert AuditEvent.objects.filter(action="created").count() == 1


def test_idempotency_keys_belong_to_one_token(user_factory, api_client_for, sandbox):
    """Another token using the same Idempotency-Key gets its own answer."""
    ada = user_factory("ada")
    first, second = api_client_for(ada, name="One"), api_client_for(ada, name="Two")
    headers = {"Idempotency-Key": "same"}
    first.post("/credentials/", {"provider": "humanitix", "name": "A", "key": "sandbox_key_valid"}, headers=headers)
    second.post("/credentials/", {"provider": "humanitix", "name": "B", "key": "sandbox_key_valid"}, headers=headers)
    assert Credential.objects.count() == 2


def test_cursor_paging_walks_every_credential_once_in_name_order(user_factory, api_client_for, credential_factory):
    """Pages of 3 over 8 credentials visit each once, by name, and the last page has no cursor."""
    ada = user_factory()
    names = [f"Cred {letter}" for letter in "hgfedcba"]
    for name in names:
        credential_factory(owner=ada, name=name)
    api = api_client_for(ada)
    seen, cursor = [], ""
    while True:
        page = api.get("/credentials/", limit=3, cursor=cursor).json()
        seen += [item["name"] for item in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert seen == sorted(names)
    # Not a cursor's shape: the schema says so; the shape with a forged signature: the service does.
    assert api.get("/credentials/", cursor="garbage").json()["type"] == PROBLEM + "invalid-request"
    assert api.get("/credentials/", cursor="WyJ4IiwieCJd:forged").json()["type"] == PROBLEM + "invalid-input"


def test_list_filters_match_the_credentials_page(user_factory, api_client_for, credential_factory, team_factory):
    """Provider, status, team and search filter the list as on the credentials page."""
    ada = user_factory()
    team = team_factory("Ops", members=[ada])
    credential_factory(owner=ada, provider="humanitix", name="Tickets", last_checked_at=timezone.now())
    rejected = credential_factory(owner=ada, provider="custify", name="CRM", status=Credential.Status.REJECTED)
    CredentialShare.objects.create(credential=rejected, team=team)
    api = api_client_for(ada)

    def names(**params):
        return [item["name"] for item in api.get("/credentials/", **params).json()["items"]]

    assert names(provider="custify") == ["CRM"]
    assert names(status="rejected") == ["CRM"]
    assert names(team=str(team.pk)) == ["CRM"]
    assert names(q="tick") == ["Tickets"]
    assert names(needs_attention="true") == ["CRM"]


def test_a_team_tokens_credential_is_owned_by_its_creator_and_managed_by_the_team(
    user_factory, api_client_for, sandbox, team_factory):
    """Creating through a team token shares the new credential with the team at "Can manage"."""
    ada = user_factory("ada")
    team = team_factory("Ops", admins=[ada])
    api = api_client_for(ada, team=team, name="Ops robot")

    created = api.post("/credentials/", {"provider": "humanitix", "name": "Events", "key": "sandbox_key_valid"})

    assert created.status_code == 201 and created.json()["access"] == "manage"
    credential = Credential.objects.get()
    assert credential.owner == ada
    assert credential.shares.get().team == team and credential.shares.get().level == "manage"
    assert api.get("/connections/").status_code == 403


def test_a_member_leaves_a_team_through_the_api_but_removes_nobody_else(user_factory, api_client_for, team_factory):
    """Deleting one's own membership is leaving; a member deleting another's is refused (403)."""
    ada, bob, carol = user_factory("ada"), user_factory("bob"), user_factory("carol")
    team = team_factory("Ops", admins=[ada], members=[bob, carol])
    api = api_client_for(bob)
    carols = team.memberships.get(user=carol).pk
    bobs = team.memberships.get(user=bob).pk

    assert api.delete(f"/teams/{team.pk}/members/{carols}").status_code == 403
    assert api.delete(f"/teams/{team.pk}/members/{bobs}").status_code == 204
    assert set(team.memberships.values_list("user__username", flat=True)) == {"ada", "carol"}


def test_the_apis_checks_spend_the_same_budgets_as_the_pages(user_factory, api_client_for, sandbox, settings):
    """Past the check budget the API answers a 429 problem with Retry-After, and asks the provider nothing."""
    settings.CHECK_BUDGET_PER_USER = 1
    api = api_client_for(user_factory())
    api.post("/credentials/", {"provider": "humanitix", "name": "First", "key": "sandbox_key_rejected"})
    sandbox.state.requests.clear()

    answer = api.post("/credentials/", {"provider": "humanitix", "name": "Second", "key": "sandbox_key_valid"})

    assert answer.status_code == 429 and answer.json()["type"] == PROBLEM + "check-budget-spent"
    assert int(answer["Retry-After"]) >= 1 and answer.json()["retry_after"] >= 1
    assert not sandbox.state.requests and not Credential.objects.exists()


def test_the_credential_list_takes_as_many_queries_for_many_rows_as_for_few(
    user_factory, api_client_for, credential_factory, team_factory, share_factory
):
    """A page of shared credentials costs a fixed number of queries, whatever its length."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def queries_for_a_page_of(count):
        owner = user_factory()
        team = team_factory(admins=[owner])
        for _ in range(count):
            share_factory(credential_factory(owner=owner), team)
        api = api_client_for(owner)
        with CaptureQueriesContext(connection) as queries:
            answer = api.get("/credentials/")
        assert answer.status_code == 200 and len(answer.json()["items"]) == count
        return len(queries)

    assert queries_for_a_page_of(2) == queries_for_a_page_of(20)


def test_a_team_token_of_someone_who_left_the_team_creates_nothing(
    user_factory, api_client_for, team_factory, sandbox
):
    """Its credentials would be owned by a person outside the team: the token may no longer create."""
    from credentials_app.models import Membership

    admin, other = user_factory(), user_factory()
    team = team_factory(admins=[admin, other])
    api = api_client_for(admin, team=team)
    Membership.objects.filter(team=team, user=admin).delete()

    answer = api.post("/credentials/", {"provider": "humanitix", "name": "Events", "key": "sandbox_key_valid"})

    assert answer.status_code == 403 and not Credential.objects.exists()


def test_sharing_with_a_team_you_are_not_in_does_not_name_it(user_factory, api_client_for, credential_factory, team_factory):
    owner = user_factory()
    secret_team = team_factory("Mergers and acquisitions", admins=[user_factory()])
    credential = credential_factory(owner=owner)
    answer = api_client_for(owner).post(
        f"/credentials/{credential.pk}/shares", {"team": str(secret_team.pk), "level": "use"}
    )
    assert answer.status_code == 422 and "Mergers" not in answer.content.decode()


@pytest.mark.parametrize("connector", CONNECTORS, ids=lambda connector: connector.id)
def test_every_provider_is_added_checked_and_refused_through_the_api(connector, user_factory, api_client_for, sandbox):
    """A rejected key is a 422 that stores nothing; the valid one is created Verified and checks again."""
    api = api_client_for(user_factory())
    body = {"provider": connector.id, "name": f"{connector.name} main", "key": keys.REJECTED}

    refused = api.post("/credentials/", body)
    created = api.post("/credentials/", {**body, "key": keys.VALID})

    assert refused.status_code == 422 and refused.json()["type"] == PROBLEM + "key-rejected"
    assert created.status_code == 201 and created.json()["status"] == "verified"
    assert api.post(f"/credentials/{created.json()['id']}/check").json()["outcome"] == "verified"
    assert [c.provider for c in Credential.objects.all()] == [connector.id]
    assert all(keys.VALID.encode() not in answer.content for answer in api.responses)
