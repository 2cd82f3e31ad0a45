"""Managing credentials: the list, a credential's page, and its actions."""
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from connectors.sandbox import keys
from credentials_app.crypto import generate_key
from credentials_app.models import Connection, Credential, CredentialShare
from credentials_app.selectors import CREDENTIALS_PER_PAGE
from credentials_app.services.connections import connection_create

pytestmark = pytest.mark.django_db

LIST_URL = "/credentials/"


def detail_url(credential):
    return reverse("credential_detail", args=[credential.pk])


def action_url(name, credential):
    return reverse(name, args=[credential.pk])


@pytest.fixture
def owner(sign_in):
    return sign_in()


@pytest.fixture
def share(team_factory, share_factory):
    """Return a function that shares credential with a new team holding member at level."""

    def create(credential, member, level=CredentialShare.Level.USE, team_name=None):
        team = team_factory(team_name, members=[member])
        share_factory(credential, team, level=level)
        return team

    return create


def use_in(credential, name="Weekly events", kind=Connection.Kind.SOURCE):
    return connection_create(owner=credential.owner, kind=kind, provider=credential.provider, name=name,
                             credential=credential)


def names_on(response):
    return [row.credential.name for row in response.context["rows"]]


# --- The list ---


def test_list_shows_own_and_shared_credentials_but_not_others(client, owner, user_factory, credential_factory, share):
    """The list holds what the user owns or reaches through a team, nothing else."""
    credential_factory(owner=owner, name="Mine")
    colleague = user_factory()
    share(credential_factory(owner=colleague, name="Shared with me"), owner)
    credential_factory(owner=colleague, name="Not mine")

    response = client.get(LIST_URL)

    assert response.status_code == 200
    assert sorted(names_on(response)) == ["Mine", "Shared with me"]
    assert "Not mine" not in response.content.decode()
    assert "Shared by" in response.content.decode()


def test_list_filters_by_provider_status_team_and_search(client, owner, user_factory, credential_factory, share):
    """Each filter narrows the list to what it names; search looks at name and description."""
    credential_factory(owner=owner, name="Box office", description="weekly ticket report")
    credential_factory(owner=owner, name="CRM", provider="custify", status=Credential.Status.REJECTED)
    credential_factory(owner=owner, name="Parked", disabled_at=timezone.now())
    team = share(credential_factory(owner=user_factory(), name="Team key"), owner, team_name="Ops")

    assert names_on(client.get(LIST_URL, {"provider": "custify"})) == ["CRM"]
    assert names_on(client.get(LIST_URL, {"status": "rejected"})) == ["CRM"]
    assert names_on(client.get(LIST_URL, {"status": "disabled"})) == ["Parked"]
    assert "Parked" not in names_on(client.get(LIST_URL, {"status": "verified"}))
    assert names_on(client.get(LIST_URL, {"team": team.pk})) == ["Team key"]
    assert names_on(client.get(LIST_URL, {"q": "TICKET"})) == ["Box office"]
    assert names_on(client.get(LIST_URL, {"q": "crm"})) == ["CRM"]


def test_needs_attention_filter_and_badge_agree(client, owner, credential_factory, settings):
    """Rejected, stale, never checked and undecryptable credentials need attention; a fresh verified one not."""
    now = timezone.now()
    stale = now - timedelta(days=settings.CREDENTIAL_STALE_AFTER_DAYS + 1)
    credential_factory(owner=owner, name="Fresh", last_checked_at=now)
    credential_factory(owner=owner, name="Rejected", status=Credential.Status.REJECTED, last_checked_at=now)
    credential_factory(owner=owner, name="Stale", last_checked_at=stale)
    credential_factory(owner=owner, name="Never checked")
    lost = credential_factory(owner=owner, name="Lost key", last_checked_at=now)
    Credential.objects.filter(pk=lost.pk).update(key_id="0123456789ab")

    response = client.get(LIST_URL, {"attention": "on"})

    assert sorted(names_on(response)) == ["Lost key", "Never checked", "Rejected", "Stale"]
    full = client.get(LIST_URL)
    badges = {row.credential.name: row.credential.needs_attention for row in full.context["rows"]}
    assert badges == {"Fresh": False, "Lost key": True, "Never checked": True, "Rejected": True, "Stale": True}
    assert full.content.decode().count('data-testid="needs-attention"') == 4
    assert "Can&#x27;t decrypt: key 0123456789ab missing" in full.content.decode()


def test_list_pages_by_a_screenful_with_a_fixed_number_of_queries(
    client, owner, user_factory, credential_factory, share, django_assert_max_num_queries
):
    """With 35 credentials, page 1 shows 25 and page 2 the rest, each in a handful of queries."""
    others = user_factory()
    for number in range(30):
        credential = credential_factory(owner=owner, name=f"Key {number:02}", last_checked_at=timezone.now())
        use_in(credential, name=f"Source {number}")
    for number in range(5):
        share(credential_factory(owner=others, name=f"Shared {number}"), owner, team_name=f"Team {number}")

    with django_assert_max_num_queries(12):
        first = client.get(LIST_URL)
    with django_assert_max_num_queries(12):
        second = client.get(LIST_URL, {"page": 2})

    assert len(first.context["rows"]) == CREDENTIALS_PER_PAGE == 25
    assert len(second.context["rows"]) == 10
    assert set(names_on(first)).isdisjoint(names_on(second))
    assert 'href="?page=2"' in first.content.decode()
    assert first.context["rows"][0].credential.connection_count == 1


def test_pagination_keeps_the_filters(client, owner, credential_factory):
    """The next-page link carries the chosen filters."""
    for number in range(CREDENTIALS_PER_PAGE + 1):
        credential_factory(owner=owner, name=f"Key {number:02}", provider="custify")

    response = client.get(LIST_URL, {"provider": "custify"})

    assert "?provider=custify&amp;page=2" in response.content.decode()


# --- The credential's page ---


def test_page_shows_facts_with_masked_fingerprint_and_never_the_key(client, owner, credential_factory):
    """The page shows name, description, provider, settings, masked key, status, timing and last error."""
    credential = credential_factory(
        owner=owner, provider="peopleai", name="Pipeline", description="CRM sync", key=keys.REJECTED,
        status=Credential.Status.REJECTED, status_message="People.ai refused the key.",
        last_checked_at=timezone.now(), last_check_ms=321, options={"base_url": "staging"},
    )
    use_in(credential, name="Pipeline import")

    response = client.get(detail_url(credential), {"edit": "1"})  # with the edit dialog and its key field

    page = response.content.decode()
    assert response.status_code == 200
    for text in ("Pipeline", "CRM sync", "People.ai", "Environment", f"••••{keys.REJECTED[-4:]}", "321 ms", "People.ai refused the key.",
                 "Pipeline import", "Needs attention"):
        assert text in page
    assert keys.REJECTED not in page
    assert 'type="password"' in page


def test_page_of_a_stranger_is_not_found(client, owner, credential_factory):
    """Someone else's unshared credential answers 404 to the page and to every action."""
    credential = credential_factory()

    assert client.get(detail_url(credential)).status_code == 404
    for name in ("credential_check_now", "credential_rename", "credential_disable", "credential_delete"):
        assert client.post(action_url(name, credential), {"name": "x"}).status_code == 404


def test_can_use_may_check_now_but_not_change_anything(client, owner, user_factory, credential_factory, share, sandbox):
    """A "Can use" member sees the page and may check, but every change answers 403."""
    credential = credential_factory(owner=user_factory(), name="Team key")
    share(credential, owner, level=CredentialShare.Level.USE)

    page = client.get(detail_url(credential))
    assert page.status_code == 200
    assert "Replace key" not in page.content.decode()
    assert client.post(action_url("credential_check_now", credential)).status_code == 302
    forbidden = {
        "credential_replace_key": {"key": keys.VALID},
        "credential_rename": {"name": "Mine now"},
        "credential_edit_description": {"description": "x"},
        "credential_disable": {},
        "credential_enable": {},
        "credential_delete": {},
    }
    for name, data in forbidden.items():
        assert client.post(action_url(name, credential), data).status_code == 403, name
    credential.refresh_from_db()
    assert credential.name == "Team key" and not credential.is_disabled


def test_can_manage_member_may_rename(client, owner, user_factory, credential_factory, share):
    """A "Can manage" member may change the credential."""
    credential = credential_factory(owner=user_factory(), name="Team key")
    share(credential, owner, level=CredentialShare.Level.MANAGE)

    response = client.post(action_url("credential_rename", credential), {"name": "Ops key"})

    assert response.status_code == 302
    credential.refresh_from_db()
    assert credential.name == "Ops key"


def test_actions_refuse_get(client, owner, credential_factory):
    """Actions change nothing on GET."""
    credential = credential_factory(owner=owner)

    assert client.get(action_url("credential_disable", credential)).status_code == 405
    credential.refresh_from_db()
    assert not credential.is_disabled


# --- Check now ---


def test_check_now_updates_status_and_says_the_outcome(client, owner, credential_factory, sandbox):
    """A key the provider now refuses turns Rejected, with the provider's words on the page."""
    credential = credential_factory(owner=owner, key=keys.REJECTED, status=Credential.Status.VERIFIED)

    response = client.post(action_url("credential_check_now", credential), follow=True)

    credential.refresh_from_db()
    assert credential.status == Credential.Status.REJECTED
    assert credential.last_checked_at is not None and credential.last_check_ms is not None
    page = response.content.decode()
    assert "Checked: Rejected." in page and "Invalid API Key" in page


def test_check_now_that_could_not_check_keeps_the_status(client, owner, credential_factory, sandbox):
    """A 503 leaves the last known status and says the check could not be done."""
    credential = credential_factory(owner=owner, key=keys.SERVER_ERROR, status=Credential.Status.VERIFIED)

    response = client.post(action_url("credential_check_now", credential), follow=True)

    credential.refresh_from_db()
    assert credential.status == Credential.Status.VERIFIED
    assert "Could not check" in response.content.decode()


# --- Replace key ---


def test_replace_key_with_a_verified_key(client, owner, credential_factory, sandbox):
    """A verified new key replaces the old one; the old key is gone."""
    credential = credential_factory(owner=owner, key=keys.REJECTED, status=Credential.Status.REJECTED)

    response = client.post(action_url("credential_replace_key", credential), {"key": keys.VALID}, follow=True)

    credential.refresh_from_db()
    assert credential.decrypt_key() == keys.VALID
    assert credential.status == Credential.Status.VERIFIED
    assert "Key replaced" in response.content.decode()
    assert keys.VALID not in response.content.decode()


def test_replace_key_with_a_rejected_key_keeps_the_old_one(client, owner, credential_factory, sandbox):
    """A refused new key changes nothing; the old key still decrypts and the message says why."""
    credential = credential_factory(owner=owner, key=keys.VALID, last_checked_at=timezone.now())
    before = Credential.objects.values().get(pk=credential.pk)

    response = client.post(action_url("credential_replace_key", credential), {"key": keys.REJECTED})

    assert response.status_code == 400
    page = response.content.decode()
    assert "The key was not replaced" in page and "Invalid API Key" in page
    assert keys.REJECTED not in page
    assert Credential.objects.values().get(pk=credential.pk) == before
    assert Credential.objects.get(pk=credential.pk).decrypt_key() == keys.VALID
    history = client.get(reverse("credential_detail", args=[credential.pk])).content.decode()
    assert f"New key ••••{keys.REJECTED[-4:]} refused, key not replaced: Rejected." in history
    assert keys.REJECTED not in history


def test_replace_key_that_could_not_be_checked_changes_nothing(client, owner, credential_factory, sandbox):
    """When the provider cannot be reached the old key stays, status and all."""
    credential = credential_factory(owner=owner, key=keys.VALID)
    before = Credential.objects.values().get(pk=credential.pk)

    response = client.post(action_url("credential_replace_key", credential), {"key": keys.SERVER_ERROR})

    assert response.status_code == 400
    assert "The key was not replaced" in response.content.decode()
    assert Credential.objects.values().get(pk=credential.pk) == before


def test_replace_key_with_an_empty_key_says_so(client, owner, credential_factory):
    """An empty key is refused before any check."""
    credential = credential_factory(owner=owner)

    response = client.post(action_url("credential_replace_key", credential), {"key": ""})

    assert response.status_code == 400
    assert "This field is required" in response.content.decode()


# --- Rename and description ---


def test_rename_and_edit_description(client, owner, credential_factory):
    """Rename and Edit description save and come back to the page with a message."""
    credential = credential_factory(owner=owner, name="Old")

    renamed = client.post(action_url("credential_rename", credential), {"name": "New"}, follow=True)
    described = client.post(action_url("credential_edit_description", credential), {"description": "For reports"},
                            follow=True)

    credential.refresh_from_db()
    assert (credential.name, credential.description) == ("New", "For reports")
    assert "Renamed “Old” to “New”." in renamed.content.decode()
    assert "Description saved." in described.content.decode()


def test_rename_to_a_name_in_use_is_refused_clearly(client, owner, credential_factory):
    """Two credentials of one owner and provider cannot share a name, whatever its case."""
    credential_factory(owner=owner, name="Box office")
    credential = credential_factory(owner=owner, name="Spare")

    response = client.post(action_url("credential_rename", credential), {"name": "box OFFICE"})

    assert response.status_code == 400
    assert "You already have a Humanitix credential named" in response.content.decode()
    credential.refresh_from_db()
    assert credential.name == "Spare"


def test_same_name_for_another_provider_is_fine(client, owner, credential_factory):
    """Names are unique per provider only."""
    credential_factory(owner=owner, name="Main")
    credential = credential_factory(owner=owner, provider="custify", name="Other")

    assert client.post(action_url("credential_rename", credential), {"name": "Main"}).status_code == 302


# --- Disable and enable ---


def test_disable_hides_from_authenticate_and_enable_brings_it_back(client, owner, credential_factory):
    """A disabled credential is kept, marked Disabled, and not offered on the Authenticate screen."""
    credential = credential_factory(owner=owner, name="Parked key")
    authenticate = reverse("authenticate", args=["source", "humanitix"])
    assert "Parked key" in client.get(authenticate).content.decode()

    page = client.post(action_url("credential_disable", credential), follow=True).content.decode()

    assert "Disabled" in page
    assert "Parked key" not in client.get(authenticate).content.decode()
    assert Credential.objects.filter(pk=credential.pk).exists()

    client.post(action_url("credential_enable", credential))

    assert "Parked key" in client.get(authenticate).content.decode()


# --- Delete ---


def test_delete_unused_credential(client, owner, credential_factory):
    """An unused credential is deleted and the user lands on the list."""
    credential = credential_factory(owner=owner, name="Old key")

    response = client.post(action_url("credential_delete", credential), follow=True)

    assert not Credential.objects.filter(pk=credential.pk).exists()
    assert "Deleted “Old key”." in response.content.decode()


def test_delete_is_refused_while_in_use_then_succeeds_after_the_move(client, owner, credential_factory):
    """Delete lists what uses the credential; "Move and delete" moves them and deletes it in one step."""
    # Custify serves as data source and as destination.
    credential = credential_factory(owner=owner, name="Old key", provider="custify")
    replacement = credential_factory(owner=owner, name="New key", provider="custify")
    credential_factory(owner=owner, name="Humanitix key")
    source = use_in(credential, name="Weekly events")
    destination = use_in(credential, name="Ticket archive", kind=Connection.Kind.DESTINATION)

    refused = client.post(action_url("credential_delete", credential))

    assert refused.status_code == 409
    page = refused.content.decode()
    assert "Weekly events (Data source)" in page and "Ticket archive (Destination)" in page
    assert "Move and delete" in page
    choices = [choice.name for choice in refused.context["move_form"].fields["replacement"].queryset]
    assert choices == ["New key"]
    assert Credential.objects.filter(pk=credential.pk).exists()

    moved = client.post(action_url("credential_delete", credential), {"replacement": replacement.pk}, follow=True)

    assert not Credential.objects.filter(pk=credential.pk).exists()
    assert set(replacement.connections.all()) == {source, destination}
    assert "Moved what used “Old key” to “New key”" in moved.content.decode()


def test_move_refuses_a_credential_of_another_provider_or_out_of_reach(client, owner, credential_factory):
    """The replacement must be a credential of the same provider the user may use; nothing moves otherwise."""
    credential = credential_factory(owner=owner)
    other_provider = credential_factory(owner=owner, provider="custify")
    strangers = credential_factory()
    connection = use_in(credential)

    for target in (other_provider, strangers):
        response = client.post(action_url("credential_delete", credential), {"replacement": target.pk})
        assert response.status_code == 400
        assert "Select a valid choice" in response.content.decode()
    connection.refresh_from_db()
    assert connection.credential == credential


# --- A key that cannot be decrypted ---


@pytest.fixture
def undecryptable(owner, credential_factory, settings):
    """Return a credential whose encryption key has left the keyring."""
    credential = credential_factory(owner=owner, name="Lost", key=keys.VALID)
    settings.CREDENTIALS_ENCRYPTION_KEYS = [generate_key()]
    return credential


def test_undecryptable_credential_page_says_so(client, undecryptable):
    """The page renders and names the missing key instead of crashing."""
    response = client.get(detail_url(undecryptable))

    assert response.status_code == 200
    assert f"Can&#x27;t decrypt: key {undecryptable.key_id} missing" in response.content.decode()


def test_undecryptable_credential_key_can_be_replaced(client, undecryptable, sandbox):
    """Replacing the key works without decrypting the old one, and the credential decrypts again."""
    client.post(action_url("credential_replace_key", undecryptable), {"key": keys.VALID})

    undecryptable.refresh_from_db()
    assert undecryptable.decrypt_problem == ""
    assert undecryptable.decrypt_key() == keys.VALID


def test_undecryptable_credential_check_now_says_why(client, undecryptable, sandbox):
    """Check now answers with the missing key, without crashing."""
    response = client.post(action_url("credential_check_now", undecryptable), follow=True)

    assert f"Could not check: Can&#x27;t decrypt: key {undecryptable.key_id} missing" in response.content.decode()


def test_undecryptable_credential_can_be_deleted(client, undecryptable):
    """A credential that cannot be decrypted can still be deleted."""
    client.post(action_url("credential_delete", undecryptable))

    assert not Credential.objects.filter(pk=undecryptable.pk).exists()
