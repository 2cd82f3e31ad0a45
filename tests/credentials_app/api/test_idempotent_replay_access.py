"""An Idempotency-Key replay is answered only while the caller still may act on the object it is about."""
import pytest

from credentials_app.models import CredentialShare

pytestmark = pytest.mark.django_db
PROBLEM = "urn:credential-manager:problem:"


@pytest.fixture
def team_setup(user_factory, team_factory, credential_factory, api_client_for):
    """Return (team token's client, credential shared with its team at Can manage)."""
    ada = user_factory()
    team = team_factory("Ops", admins=[ada])
    credential = credential_factory(owner=ada, name="Box office")
    CredentialShare.objects.create(credential=credential, team=team, level="manage")
    return api_client_for(ada, team=team), credential


def test_a_replay_after_the_credential_was_unshared_does_not_return_it(team_setup):
    """Once the team lost the credential, retrying the team token's request does not show it again."""
    api, credential = team_setup
    key = {"Idempotency-Key": "disable-1"}
    first = api.post(f"/credentials/{credential.pk}/disable", headers=key)
    replayed = api.post(f"/credentials/{credential.pk}/disable", headers=key)
    CredentialShare.objects.filter(credential=credential).delete()

    after = api.post(f"/credentials/{credential.pk}/disable", headers=key)

    assert first.status_code == replayed.status_code == 200 and replayed["Idempotent-Replayed"] == "true"
    assert after.status_code == 404 and after.json()["type"] == PROBLEM + "not-found"
    assert "Box office" not in after.content.decode() and "Idempotent-Replayed" not in after


def test_a_replay_after_a_share_fell_to_can_use_is_refused(team_setup):
    """A change needs Can manage: after the share fell to Can use, a retry is refused as the change would be."""
    api, credential = team_setup
    key = {"Idempotency-Key": "enable-1"}
    assert api.post(f"/credentials/{credential.pk}/enable", headers=key).status_code == 200
    CredentialShare.objects.filter(credential=credential).update(level="use")

    after = api.post(f"/credentials/{credential.pk}/enable", headers=key)

    assert after.status_code == 404 and "Idempotent-Replayed" not in after


def test_a_replayed_create_is_refused_once_the_new_credential_is_out_of_reach(team_setup, sandbox):
    """A credential created by a team token and then unshared is not shown again by a retried create."""
    api, _ = team_setup
    key = {"Idempotency-Key": "create-1"}
    body = {"provider": "humanitix", "name": "Created", "key": "sandbox_key_valid"}
    created = api.post("/credentials/", body, headers=key)
    assert created.status_code == 201
    CredentialShare.objects.filter(credential_id=created.json()["id"]).delete()

    after = api.post("/credentials/", body, headers=key)

    assert after.status_code == 404 and "Created" not in after.content.decode()
