"""First run creates the owner; the admin lists credentials with a key that is write-only."""
import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from connectors.sandbox import keys
from credentials_app.models import AuditEvent, Credential

pytestmark = pytest.mark.django_db


def test_fresh_install_sends_everyone_to_owner_setup_once(client):
    assert client.get("/").url == reverse("setup")
    response = client.post(
        reverse("setup"),
        {"username": "owner", "email": "", "password1": "a-long-pass-phrase-9", "password2": "a-long-pass-phrase-9"},
    )
    assert response.status_code == 302
    owner = get_user_model().objects.get()
    assert owner.is_superuser and owner.is_staff
    assert client.get("/").status_code == 200  # signed in already
    assert client.get(reverse("setup")).status_code == 404


@pytest.fixture
def admin_client_with_credential(client, user_factory, credential_factory):
    admin = user_factory(is_staff=True, is_superuser=True)
    client.force_login(admin)
    credential = credential_factory(owner=user_factory(), key=keys.VALID, name="Admin listed")
    return client, credential


def test_admin_lists_credentials_with_masked_fingerprint_and_never_the_secret(admin_client_with_credential):
    client, credential = admin_client_with_credential
    listing = client.get(reverse("admin:credentials_app_credential_changelist")).content.decode()
    change = client.get(reverse("admin:credentials_app_credential_change", args=[credential.pk])).content.decode()

    assert "Admin listed" in listing and "humanitix" in listing and f"••••{keys.VALID[-4:]}" in listing
    for html in (listing, change):
        assert keys.VALID not in html
        assert credential.secret not in html
        assert credential.secret.split("$")[2][:16] not in html


def test_admin_replaces_a_key_only_after_the_provider_verifies_it(admin_client_with_credential, sandbox):
    client, credential = admin_client_with_credential
    url = reverse("admin:credentials_app_credential_change", args=[credential.pk])
    old_secret = credential.secret

    refused = client.post(url, {"name": "Admin listed", "description": "", "new_key": keys.REJECTED})
    credential.refresh_from_db()
    assert refused.status_code == 200
    assert "The key was not replaced" in refused.content.decode()
    assert keys.REJECTED not in refused.content.decode()
    assert credential.secret == old_secret

    accepted = client.post(url, {"name": "Renamed in admin", "description": "", "new_key": f"  {keys.VALID}\n"})
    credential.refresh_from_db()
    assert accepted.status_code == 302
    assert credential.name == "Renamed in admin"
    assert credential.secret != old_secret and credential.decrypt_key() == keys.VALID
    assert AuditEvent.objects.filter(credential=credential, action=AuditEvent.Action.KEY_REPLACED).exists()


def test_admin_save_does_not_undo_a_key_replaced_while_it_checked(admin_client_with_credential, sandbox, rf):
    """The admin writes only the fields it changed: a key replaced during its (slow) check survives."""
    from django.contrib.admin.sites import site

    from credentials_app.admin import CredentialAdmin
    from credentials_app.forms import CredentialAdminForm
    from credentials_app.services.credentials import credential_replace_key

    client, credential = admin_client_with_credential
    admin_user = get_user_model().objects.get(is_superuser=True)
    stale = Credential.objects.get(pk=credential.pk)  # what the admin loaded before its check
    form = CredentialAdminForm({"name": "Renamed later", "description": "new words"}, instance=stale)
    assert form.is_valid()
    credential_replace_key(credential=credential, key=keys.VALID, actor=None)  # lands meanwhile
    credential.refresh_from_db()
    replaced_secret = credential.secret
    request = rf.post("/")
    request.user = admin_user

    CredentialAdmin(Credential, site).save_model(request, form.instance, form, change=True)

    credential.refresh_from_db()
    assert credential.name == "Renamed later" and credential.description == "new words"
    assert credential.secret == replaced_secret
    actions = set(AuditEvent.objects.filter(credential=credential).values_list("action", flat=True))
    assert {AuditEvent.Action.RENAMED, AuditEvent.Action.DESCRIPTION_EDITED} <= actions


def test_owner_is_created_only_while_no_account_exists(user_factory):
    """A second first-run submission (a race lost) creates no second owner."""
    from credentials_app.services.accounts import AlreadySetUp, owner_create

    User = get_user_model()
    owner_create(user=User(username="first"))
    with pytest.raises(AlreadySetUp):
        owner_create(user=User(username="second"))
    assert list(User.objects.values_list("username", "is_superuser")) == [("first", True)]
