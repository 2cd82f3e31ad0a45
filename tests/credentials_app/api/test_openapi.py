"""The OpenAPI document is valid OpenAPI 3.1, and the live API keeps to it under generated requests."""
import hypothesis
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase
from hypothesis import strategies as st
from openapi_spec_validator import validate
from schemathesis import checks

from credentials_app.models import Connection
from credentials_app.services.tokens import token_create
from tests.credentials_app.api.conftest import ALL_SCOPES

EXAMPLES_PER_OPERATION = 10


@pytest.mark.django_db
def test_the_openapi_document_is_valid_openapi_3_1(client):
    """/api/v1/openapi.json is served without a token and passes the OpenAPI 3.1 validator."""
    response = client.get("/api/v1/openapi.json")
    document = response.json()
    assert document["openapi"].startswith("3.1")
    validate(document)
    assert document["components"]["securitySchemes"]["TokenAuth"]["scheme"] == "bearer"


@pytest.mark.django_db
def test_the_docs_page_loads_only_our_own_scripts(client):
    """The interactive docs use the app's static files, so the strict CSP lets them run unchanged."""
    page = client.get("/api/v1/docs")
    html = page.content.decode()
    assert page.status_code == 200 and "script-src 'self'" in page["Content-Security-Policy"]
    assert "cdn" not in html and "/static/ninja/swagger-ui-bundle.js" in html


@pytest.mark.long
@pytest.mark.django_db(transaction=True)
def test_generated_requests_get_no_server_error_and_answers_that_match_the_document(
    live_server, user_factory, credential_factory, sandbox, team_factory):
    """Up to 10 generated requests per operation, with a token holding every scope, against the sandbox.

    Every refusal among them is a problem (application/problem+json).
    """
    ada = user_factory("ada")
    team = team_factory("Ops", admins=[ada])
    credential = credential_factory(owner=ada, name="Seed")
    connection = Connection.objects.create(
        owner=ada, kind="source", provider="humanitix", name="Seed source", credential=credential
    )
    # Half the cases aim at objects that exist, so requests get past 404 into the endpoints' work.
    real_ids = {
        "credential_id": str(credential.pk), "team_id": str(team.pk), "connection_id": str(connection.pk),
        "provider_id": "humanitix", "member_id": team.memberships.get().pk,
    }
    _, raw = token_create(creator=ada, name="Fuzz", scopes=ALL_SCOPES)
    # Another token, so a generated revocation does not end the run.
    real_ids["token_id"] = str(token_create(creator=ada, name="Target", scopes=ALL_SCOPES)[0].pk)
    schema = schemathesis.openapi.from_url(f"{live_server.url}/api/v1/openapi.json")
    schema.config.update(base_url=live_server.url)
    headers = {"Authorization": f"Bearer {raw}"}
    chosen = [
        checks.not_a_server_error, checks.response_schema_conformance, checks.status_code_conformance,
        checks.content_type_conformance,
    ]
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 25

    statuses = []
    for operation in operations:

        @hypothesis.given(case=operation.as_strategy(), aim_at_real_objects=st.booleans())
        @hypothesis.settings(
            max_examples=EXAMPLES_PER_OPERATION, deadline=None, database=None,
            phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck),
        )
        def run(case, aim_at_real_objects):
            if aim_at_real_objects and case.path_parameters:
                case.path_parameters.update({name: real_ids[name] for name in case.path_parameters})
            response = case.call(headers=headers)
            case.validate_response(response, checks=chosen)
            if response.status_code >= 400:
                assert response.headers["content-type"] == ["application/problem+json"], response.text[:200]
            statuses.append(response.status_code)

        run()
    # The token reaches real objects: some requests succeed, not only refusals.
    assert sum(status < 300 for status in statuses) >= len(operations)
    print(sorted(statuses))
