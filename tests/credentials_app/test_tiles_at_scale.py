"""Tiles carry what a user needs to choose; the Authenticate screen, the list and the admin stay flat at scale."""
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
import pytest

from credentials_app.models import Credential, CredentialShare, Membership, Team, mask_fingerprint
from credentials_app.selectors import TILES_SHOWN
from credentials_app.services.connections import connection_create

pytestmark = pytest.mark.django_db

AUTHENTICATE = reverse("authenticate", args=["source", "humanitix"])


@pytest.fixture
def owner(client, user_factory):
    user = user_factory(is_staff=True, is_superuser=True)
    client.force_login(user)
    return user


def tiles(response):
    return response.context["tiles"]


def test_a_tile_shows_fingerprint_setting_and_status(client, owner, credential_factory):
    credential_factory(owner=owner, provider="tixy", name="Sales", key="sandbox_key_private",
                       options={"token_type": "private"}, status=Credential.Status.RESTRICTED)

    page = client.get(reverse("authenticate", args=["source", "tixy"])).content.decode()

    assert mask_fingerprint("sandbox_key_private") in page
    assert "Token Type: Private API Token" in page
    assert "Limited access" in page


def test_the_only_verified_credential_comes_preselected(client, owner, credential_factory):
    verified = credential_factory(owner=owner, name="Good")
    credential_factory(owner=owner, name="Bad", status=Credential.Status.REJECTED)

    shown = tiles(client.get(AUTHENTICATE))

    assert [tile.credential for tile in shown if tile.selected] == [verified]
    assert f'value="{verified.pk}" form="continue-form" checked' in client.get(AUTHENTICATE).content.decode()


def test_with_two_verified_credentials_none_is_preselected(client, owner, credential_factory):
    credential_factory(owner=owner)
    credential_factory(owner=owner)
    assert not any(tile.selected for tile in tiles(client.get(AUTHENTICATE)))


def test_recently_used_comes_first_then_verified_then_the_rest(client, owner, credential_factory):
    used = credential_factory(owner=owner, name="Used", status=Credential.Status.REJECTED)
    credential_factory(owner=owner, name="Unchecked", status=Credential.Status.NOT_VERIFIED)
    credential_factory(owner=owner, name="Verified")
    connection_create(owner=owner, kind="source", provider="humanitix", name="Daily", credential=used)

    names = [tile.credential.name for tile in tiles(client.get(AUTHENTICATE))]

    assert names == ["Used", "Verified", "Unchecked"]


def test_many_credentials_show_a_screenful_with_show_more_and_search(client, owner, credential_factory):
    for n in range(TILES_SHOWN + 6):
        credential_factory(owner=owner, name=f"Key {n:02d}", description="north" if n == 7 else "")

    first = client.get(AUTHENTICATE)
    assert len(tiles(first)) == TILES_SHOWN
    assert 'data-testid="show-more"' in first.content.decode()
    assert 'id="tile-search"' in first.content.decode()

    more = client.get(AUTHENTICATE, {"shown": TILES_SHOWN * 2})
    assert len(tiles(more)) == TILES_SHOWN + 6
    assert 'data-testid="show-more"' not in more.content.decode()

    found = client.get(AUTHENTICATE, {"q": "NORTH"})
    assert [tile.credential.name for tile in tiles(found)] == ["Key 07"]


def _bulk(owner, count, start=0):
    rows = []
    for n in range(start, start + count):
        credential = Credential(owner=owner, provider="humanitix", name=f"Bulk {n:04d}",
                                status=Credential.Status.VERIFIED if n % 2 else Credential.Status.REJECTED)
        credential.set_key(f"secret-{n:04d}")
        rows.append(credential)
    Credential.objects.bulk_create(rows)


@pytest.mark.parametrize(
    "url", [AUTHENTICATE, reverse("credential_list"), reverse("admin:credentials_app_credential_changelist")]
)
def test_pages_run_the_same_number_of_queries_at_two_sizes(client, owner, user_factory, url,
                                                            django_assert_num_queries):
    """Query counts do not grow with the number of credentials (shares and connections included)."""
    team = Team.objects.create(name="Ops")
    Membership.objects.create(team=team, user=owner)
    sharer = user_factory()
    _bulk(owner, 5)
    shared = Credential(owner=sharer, provider="humanitix", name="Shared one")
    shared.set_key("secret-shared")
    shared.save()
    CredentialShare.objects.create(credential=shared, team=team)
    connection_create(owner=owner, kind="source", provider="humanitix", name="Used",
                      credential=Credential.objects.filter(owner=owner).first())
    client.get(url)
    with CaptureQueriesContext(connection) as small:
        assert client.get(url).status_code == 200

    _bulk(owner, 120, start=5)
    with django_assert_num_queries(len(small)):
        assert client.get(url).status_code == 200
