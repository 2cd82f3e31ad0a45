"""The overlay's "Save without checking", for every "could not check" outcome of every registered provider."""
import uuid

import pytest
from django.urls import reverse
from django.utils import timezone

from connectors.registry import CONNECTORS
from connectors.sandbox import keys
from credentials_app.forms import CredentialForm
from credentials_app.models import Credential
from credentials_app.services.permits import FailedCheck, permit_check, permit_issue

pytestmark = pytest.mark.django_db

# Every sandbox key whose documented outcome is "Could not check", for each provider it applies to.
COULD_NOT_CHECK = [
    (connector, key)
    for connector in CONNECTORS
    for key, outcome in keys.table_for(connector.name)
    if outcome.startswith("Could not check")
]


@pytest.mark.parametrize(
    ("connector", "key"), COULD_NOT_CHECK, ids=[f"{connector.id}-{key}" for connector, key in COULD_NOT_CHECK]
)
def test_save_without_checking_stores_every_could_not_check_outcome(client, sign_in, sandbox, settings, connector, key):
    """Whatever stopped the check, "Save without checking" (the overlay's second post) stores the key, saying why."""
    # A deadline shorter than the trickle key's drip, so that key, too, cannot be checked.
    settings.CONNECTOR_CONNECT_TIMEOUT, settings.CONNECTOR_READ_TIMEOUT = 0.3, 0.3
    assert sandbox.state.trickle_seconds > 0.6
    owner = sign_in()
    url = reverse("credential_add", args=[sorted(connector.kinds)[0], connector.id])
    data = {
        "name": "Box office", "description": "", "key": key, "creation_token": str(uuid.uuid4()),
        **{setting.name: setting.default for setting in connector.settings},
    }

    first = client.post(url, data, headers={"accept": "application/json"})
    assert first.status_code == 422
    assert first.json()["outcome"] == "could_not_check" and first.json()["can_save_unverified"] is True
    second = client.post(url, {**data, "save_unverified": first.json()["unverified_permit"]},
                         headers={"accept": "application/json"})

    assert second.status_code == 201, second.content.decode()
    credential = Credential.objects.get(owner=owner)
    assert credential.status == Credential.Status.COULD_NOT_CHECK
    assert credential.status_message == f"Saved without checking. {first.json()['message']}"
    assert credential.decrypt_key() == key


@pytest.mark.parametrize("message", ["x" * 5000, "\U0001f600" * 5000, "Could not check: é" * 400])
def test_a_permit_with_any_message_fits_the_overlay_form(user_factory, message):
    """However long or non-ASCII the reason, the permit fits its hidden field and still saves the key it was for."""
    owner, token = user_factory(), uuid.uuid4()
    context = {"owner": owner, "provider": "humanitix", "creation_token": token, "key": "k" * 40, "options": {}}
    permit = permit_issue(**context, failed=FailedCheck(message, attempted_at=timezone.now()))

    form = CredentialForm(
        {"name": "n", "key": "k" * 40, "creation_token": str(token), "save_unverified": permit},
        connector=CONNECTORS[0],
    )
    assert form.is_valid(), form.errors
    failed = permit_check(form.cleaned_data["save_unverified"], **context)
    assert failed is not None and message.startswith(failed.message.rstrip("…"))
