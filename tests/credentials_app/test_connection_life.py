"""A data source or destination after Create: rename, change credential, re-test, delete, all audited."""
import pytest
from django.urls import reverse

from connectors.sandbox import keys
from credentials_app.events import summary
from credentials_app.models import AuditEvent, Connection, Credential, CredentialShare, Membership, Team
from credentials_app.services.connections import connection_create

pytestmark = pytest.mark.django_db


def build(credential, name="Weekly events", owner=None):
    return connection_create(owner=owner or credential.owner, kind="source", provider=credential.provider,
                             name=name, credential=credential)


def url(name, connection):
    return reverse(name, args=[connection.pk])


def history(credential):
    return [summary(event) for event in AuditEvent.objects.filter(credential=credential).order_by("id")]


def test_rename_is_saved_and_recorded(client, owner, credential_factory):
    connection = build(credential_factory(owner=owner))

    response = client.post(url("connection_rename", connection), {"name": "Daily events"}, follow=True)

    connection.refresh_from_db()
    assert connection.name == "Daily events"
    assert "Renamed “Weekly events” to “Daily events”." in response.content.decode()
    assert "Data source renamed from “Weekly events” to “Daily events”" in history(connection.credential)


def test_change_credential_moves_it_and_both_histories_say_so(client, owner, credential_factory):
    old = credential_factory(owner=owner, name="Old key")
    new = credential_factory(owner=owner, name="New key")
    connection = build(old)

    response = client.post(url("connection_credential", connection), {"credential": new.pk})

    assert response.status_code == 302
    connection.refresh_from_db()
    assert connection.credential == new
    assert "Data source “Weekly events” moved to “New key”" in history(old)
    assert "Data source “Weekly events” moved here from “Old key”" in history(new)


def test_change_credential_refuses_another_provider_a_disabled_or_an_unshared_one(
    client, owner, user_factory, credential_factory
):
    """Only an enabled credential of the same provider that the owner may use is offered or accepted."""
    current = credential_factory(owner=owner)
    connection = build(current)
    refused = [
        credential_factory(owner=owner, provider="custify"),
        credential_factory(owner=owner, disabled_at="2026-01-01T00:00:00Z"),
        credential_factory(owner=user_factory()),
    ]
    offered = client.get(url("connection_detail", connection)).context["credential_form"].fields["credential"]
    assert list(offered.queryset) == []
    for credential in refused:
        assert client.post(url("connection_credential", connection), {"credential": credential.pk}).status_code == 400
    connection.refresh_from_db()
    assert connection.credential == current


def test_retest_checks_the_credential_and_says_the_outcome(client, owner, credential_factory, sandbox):
    credential = credential_factory(owner=owner, key=keys.REJECTED)
    connection = build(credential)

    response = client.post(url("connection_check", connection), follow=True)

    credential.refresh_from_db()
    assert credential.status == Credential.Status.REJECTED
    assert '<li class="message error">' in response.content.decode()


def test_delete_keeps_the_credential_and_records_it(client, owner, credential_factory):
    credential = credential_factory(owner=owner)
    connection = build(credential)

    response = client.post(url("connection_delete", connection))

    assert response.status_code == 302
    assert not Connection.objects.exists()
    assert Credential.objects.filter(pk=credential.pk).exists()
    assert "Data source “Weekly events” deleted; it no longer uses this credential" in history(credential)


def test_someone_elses_connection_is_not_found_for_every_action(client, owner, user_factory, credential_factory):
    connection = build(credential_factory())
    for name in ("connection_detail", "connection_rename", "connection_credential", "connection_check",
                 "connection_delete"):
        method = client.get if name == "connection_detail" else client.post
        assert method(url(name, connection), {"name": "x"}).status_code == 404, name
    assert Connection.objects.get() == connection


def test_retest_is_refused_once_the_credential_is_no_longer_shared(client, owner, user_factory, credential_factory):
    """A connection whose credential was unshared keeps working, but its owner cannot check that key."""
    credential = credential_factory(owner=user_factory())
    team = Team.objects.create(name="Ops")
    Membership.objects.create(team=team, user=owner)
    share = CredentialShare.objects.create(credential=credential, team=team)
    connection = build(credential, owner=owner)
    share.delete()

    assert client.post(url("connection_check", connection)).status_code == 404
    page = client.get(url("connection_detail", connection)).content.decode()
    assert reverse("credential_detail", args=[credential.pk]) not in page


def test_its_page_links_to_its_credential(client, owner, credential_factory):
    credential = credential_factory(owner=owner)
    page = client.get(url("connection_detail", build(credential))).content.decode()
    assert reverse("credential_detail", args=[credential.pk]) in page


# --- The Name step ---


def name_step(client, credential):
    return client.post(reverse("authenticate", args=["source", credential.provider]), {"credential": credential.pk})


def test_name_step_suggests_a_free_name_and_has_back(client, owner, credential_factory):
    credential = credential_factory(owner=owner)
    build(credential, name="Humanitix data source 1")

    response = name_step(client, credential)

    assert response.context["form"]["name"].value() == "Humanitix data source 2"
    assert reverse("authenticate", args=["source", "humanitix"]) in response.content.decode()


@pytest.mark.parametrize(
    "status", [s for s in Credential.Status if s not in (Credential.Status.VERIFIED, Credential.Status.CANT_DECRYPT)]
)
def test_name_step_warns_before_building_on_an_unverified_credential(client, owner, credential_factory, status):
    credential = credential_factory(owner=owner, status=status)
    assert 'data-testid="unverified-warning"' in name_step(client, credential).content.decode()


def test_a_credential_that_cannot_be_decrypted_cannot_be_picked(client, owner, credential_factory):
    credential = credential_factory(owner=owner, status=Credential.Status.CANT_DECRYPT)
    page = name_step(client, credential).content.decode()
    assert "Select a credential first." in page and 'data-testid="unverified-warning"' not in page


def test_name_step_does_not_warn_for_a_verified_credential(client, owner, credential_factory):
    credential = credential_factory(owner=owner)
    assert 'data-testid="unverified-warning"' not in name_step(client, credential).content.decode()
