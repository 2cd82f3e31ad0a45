"""Statuses that tell the truth: Limited access and Could not check have their own words everywhere."""
import uuid

import pytest
from django.urls import reverse

from connectors.sandbox import keys
from credentials_app.models import Credential

pytestmark = pytest.mark.django_db


def add(client, provider, key, **extra):
    data = {"name": "Limited", "key": key, "creation_token": str(uuid.uuid4()), **extra}
    return client.post(reverse("credential_add", args=["source", provider]), data)


def test_custify_key_accepted_with_save_anyway_is_limited_access_not_verified(client, owner, sandbox):
    """Custify's 403 saved with "Save anyway" reads "Limited access" on the tile, the list and its page."""
    response = add(client, "custify", keys.CUSTIFY_FORBIDDEN, accept_restricted="on")

    assert response.status_code == 201
    assert "Limited access" in response.json()["tile_html"]
    credential = Credential.objects.get()
    assert credential.status == Credential.Status.RESTRICTED
    listing = client.get(reverse("credential_list")).content.decode()
    assert "badge-restricted" in listing and "Limited access" in listing
    page = client.get(reverse("credential_detail", args=[credential.pk])).content.decode()
    assert "Limited access" in page and ">Verified<" not in page


def test_the_list_filters_by_each_status(client, owner, credential_factory):
    """Every status is a filter choice, and choosing one shows only credentials in it."""
    for status in Credential.Status:
        credential_factory(owner=owner, name=f"{status.label} one", status=status)
    for status in Credential.Status:
        response = client.get(reverse("credential_list"), {"status": status.value})
        assert [row.credential.name for row in response.context["rows"]] == [f"{status.label} one"]


def test_check_now_on_a_limited_key_says_limited_access_as_a_warning(client, owner, sandbox, credential_factory):
    """A re-check that answers Restricted keeps "Limited access" and says so in amber, not green."""
    credential = credential_factory(owner=owner, provider="custify", key=keys.CUSTIFY_FORBIDDEN)

    response = client.post(reverse("credential_check_now", args=[credential.pk]), follow=True)

    credential.refresh_from_db()
    assert credential.status == Credential.Status.RESTRICTED
    assert '<li class="message warning">Checked: Limited access.' in response.content.decode()


def test_check_now_that_could_not_check_is_a_warning(client, owner, sandbox, credential_factory):
    """A 503 on Check now is shown with the warning style, and the status stays."""
    credential = credential_factory(owner=owner, key=keys.SERVER_ERROR)

    response = client.post(reverse("credential_check_now", args=[credential.pk]), follow=True)

    assert '<li class="message warning">Could not check:' in response.content.decode()
    credential.refresh_from_db()
    assert credential.status == Credential.Status.VERIFIED


def test_saved_without_checking_says_when_and_why_and_needs_attention(client, owner, sandbox):
    """A key saved after a 503 reads "Could not check" with the reason, never "Never checked"."""
    token = str(uuid.uuid4())
    first = add(client, "humanitix", keys.SERVER_ERROR, creation_token=token)
    add(client, "humanitix", keys.SERVER_ERROR, creation_token=token, save_unverified=first.json()["unverified_permit"])

    credential = Credential.objects.get()
    page = client.get(reverse("credential_detail", args=[credential.pk]))
    text = page.content.decode()
    assert "Could not check" in text and "server error (HTTP 503)" in text
    assert "Never checked" not in text and "<dd>Never</dd>" not in text
    assert "Saved without checking and never checked since" in page.context["attention"]
    tiles = client.get(reverse("authenticate", args=["source", "humanitix"])).content.decode()
    assert "Could not check" in tiles and "Never checked" not in tiles


def test_a_verified_recheck_clears_could_not_check(client, owner, sandbox, credential_factory):
    """Once a check succeeds, the credential no longer needs attention for being unchecked."""
    credential = credential_factory(owner=owner, status=Credential.Status.COULD_NOT_CHECK)

    client.post(reverse("credential_check_now", args=[credential.pk]))

    credential.refresh_from_db()
    assert credential.status == Credential.Status.VERIFIED


def test_the_admin_shows_and_filters_the_new_statuses(client, user_factory, credential_factory):
    """The admin changelist names Limited access and Could not check, and filters by each."""
    client.force_login(user_factory(is_staff=True, is_superuser=True))
    credential_factory(name="Limited one", status=Credential.Status.RESTRICTED)
    credential_factory(name="Unchecked one", status=Credential.Status.COULD_NOT_CHECK)
    url = reverse("admin:credentials_app_credential_changelist")

    page = client.get(url).content.decode()
    assert "Limited access" in page and "Could not check" in page
    filtered = client.get(url, {"status__exact": "restricted"}).content.decode()
    assert "Limited one" in filtered and "Unchecked one" not in filtered
