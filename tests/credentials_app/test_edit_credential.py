"""One edit dialog per credential: name, description, settings and an optional new key, saved together."""
import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from connectors.providers.peopleai import STAGING
from connectors.sandbox import keys
from credentials_app.models import AuditEvent, Credential
from credentials_app.services.credentials import credential_edit

pytestmark = pytest.mark.django_db


def edit(client, credential, **data):
    return client.post(reverse("credential_edit", args=[credential.pk]), data)


def actions(credential):
    return list(AuditEvent.objects.filter(credential=credential).order_by("id").values_list("action", flat=True))


def test_name_and_description_alone_save_without_asking_the_provider(client, owner, credential_factory, sandbox):
    """Renaming and describing never calls the provider, and both land in the history."""
    credential = credential_factory(owner=owner, name="Old")

    response = edit(client, credential, name="New", description="Weekly report")

    assert response.status_code == 302
    credential.refresh_from_db()
    assert (credential.name, credential.description) == ("New", "Weekly report")
    assert not sandbox.state.requests
    assert actions(credential) == [AuditEvent.Action.RENAMED, AuditEvent.Action.DESCRIPTION_EDITED]


def test_a_changed_setting_rechecks_the_stored_key_and_saves_when_verified(owner, credential_factory, sandbox):
    """People.ai's stored staging key, moved to Staging, is checked there and saved as Verified."""
    credential = credential_factory(owner=owner, provider="peopleai", key=keys.PEOPLEAI_STAGING,
                                    status=Credential.Status.REJECTED)

    result = credential_edit(credential=credential, actor=owner, name=credential.name, description="",
                             options={"base_url": STAGING})

    assert result.is_verified
    credential.refresh_from_db()
    assert credential.options == {"base_url": STAGING}
    assert credential.status == Credential.Status.VERIFIED
    assert AuditEvent.Action.SETTINGS_CHANGED in actions(credential)
    summary = AuditEvent.objects.get(action=AuditEvent.Action.SETTINGS_CHANGED).details
    assert summary["new_settings"] == "Environment: Staging"


def test_a_setting_the_key_does_not_fit_changes_nothing_and_marks_the_setting(client, owner, credential_factory,
                                                                               sandbox):
    """A public TIXY token switched to "Private" is refused: nothing changes, the dialog comes back open."""
    credential = credential_factory(owner=owner, provider="tixy", name="Sales", options={"token_type": "public"})
    before = Credential.objects.values().get(pk=credential.pk)

    response = edit(client, credential, name="Renamed too", description="typed text", token_type="private")

    assert response.status_code == 400
    assert Credential.objects.values().get(pk=credential.pk) == before
    form = response.context["edit_form"]
    assert "The settings were not changed" in " ".join(form.errors["token_type"])
    page = response.content.decode()
    assert "data-open-on-load" in page
    assert 'value="Renamed too"' in page and "typed text" in page


def test_a_new_key_with_new_settings_is_checked_as_one(owner, credential_factory, sandbox):
    """A private token and the Private setting are checked together and saved together."""
    credential = credential_factory(owner=owner, provider="tixy", options={"token_type": "public"})

    credential_edit(credential=credential, actor=owner, name=credential.name, description="",
                    options={"token_type": "private"}, key=keys.TIXY_PRIVATE)

    credential.refresh_from_db()
    assert credential.decrypt_key() == keys.TIXY_PRIVATE
    assert credential.options == {"token_type": "private"}
    assert len(sandbox.state.requests) == 1


def test_a_rejected_new_key_keeps_everything_typed_but_the_key(client, owner, credential_factory, sandbox):
    """The wrong key refuses the whole edit; the name typed is shown again, the key never is."""
    credential = credential_factory(owner=owner, name="Box office", key=keys.VALID)

    response = edit(client, credential, name="Front desk", description="", key=keys.REJECTED)

    assert response.status_code == 400
    credential.refresh_from_db()
    assert credential.name == "Box office" and credential.decrypt_key() == keys.VALID
    page = response.content.decode()
    assert 'value="Front desk"' in page
    assert "The key was not replaced" in page
    assert keys.REJECTED not in page


def test_the_service_refuses_a_name_in_use_before_any_check(owner, credential_factory, sandbox):
    """A clash is found before the provider is asked, and nothing is stored."""
    credential_factory(owner=owner, name="Taken")
    credential = credential_factory(owner=owner, name="Mine")

    with pytest.raises(ValidationError):
        credential_edit(credential=credential, actor=owner, name="taken", description="", options={},
                        key=keys.VALID)

    assert not sandbox.state.requests
    credential.refresh_from_db()
    assert credential.name == "Mine"


def test_only_a_manager_sees_the_edit_dialog(client, owner, user_factory, credential_factory):
    """The page of someone who may only use the credential has no Edit dialog, and a post is refused."""
    credential = credential_factory(owner=owner)
    page_url = reverse("credential_detail", args=[credential.pk])
    assert "edit-credential-dialog" in client.get(page_url, {"edit": "1"}).content.decode()
    assert 'name="key"' not in client.get(page_url).content.decode()

    client.force_login(user_factory())
    assert edit(client, credential, name="Mine now").status_code == 404


# --- Add credential on the Credentials page ---


def test_the_credentials_page_offers_add_for_every_provider(client, owner):
    """"Add credential" leads to each provider's Add dialog; an unknown provider is not found."""
    from connectors.registry import CONNECTORS

    listing = client.get(reverse("credential_list")).content.decode()
    assert "Add credential" in listing
    for connector in CONNECTORS:
        url = reverse("credential_new", args=[connector.id])
        assert url in listing
        page = client.get(url)
        assert page.status_code == 200
        assert 'id="add-credential-dialog"' in page.content.decode()
        assert reverse("credential_add", args=[connector.kinds[0], connector.id]) in page.content.decode()
    assert client.get(reverse("credential_new", args=["nope"])).status_code == 404
