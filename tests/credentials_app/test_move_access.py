"""Moving data sources off a credential never hands anyone a credential not shared with them."""
import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from credentials_app.models import Credential
from credentials_app.selectors import credential_replacements
from credentials_app.services.credentials import credential_delete

pytestmark = pytest.mark.django_db


@pytest.fixture
def shared_setup(user_factory, credential_factory, team_factory, share_factory, connection_factory):
    """Ada manages a team credential Bob built a data source on; Ada's private one is not Bob's."""
    ada, bob = user_factory("ada"), user_factory("bob")
    team = team_factory("Ops", admins=[ada], members=[bob])
    old = credential_factory(owner=ada, name="Old team key")
    shared_new = credential_factory(owner=ada, name="New team key")
    private = credential_factory(owner=ada, name="Ada's private key")
    for credential in (old, shared_new):
        share_factory(credential, team)
    connection = connection_factory(old, "Bob's events", owner=bob)
    return ada, bob, old, shared_new, private, connection


def test_only_credentials_every_connection_owner_can_use_are_offered(shared_setup):
    ada, bob, old, shared_new, private, connection = shared_setup

    offered = set(credential_replacements(ada, old))

    assert offered == {shared_new}


def test_moving_onto_a_credential_the_connection_owner_cannot_use_is_refused(shared_setup, client):
    ada, bob, old, shared_new, private, connection = shared_setup

    with pytest.raises(ValidationError) as refused:
        credential_delete(credential=old, actor=ada, replacement=private)
    assert "is not shared with bob" in str(refused.value)
    connection.refresh_from_db()
    assert connection.credential == old and Credential.objects.filter(pk=old.pk).exists()

    client.force_login(ada)
    client.post(reverse("credential_delete", args=[old.pk]), {"replacement": str(private.pk)})
    connection.refresh_from_db()
    assert connection.credential == old

    credential_delete(credential=old, actor=ada, replacement=shared_new)
    connection.refresh_from_db()
    assert connection.credential == shared_new and not Credential.objects.filter(pk=old.pk).exists()
