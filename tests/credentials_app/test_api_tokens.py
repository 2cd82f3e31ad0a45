"""API tokens: shown once, stored as a hash, refused once revoked or expired, scoped to a person or a team."""
import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from credentials_app.access import access_level, credentials_manageable_by, credentials_usable_by
from credentials_app.models import ApiToken, CredentialShare, Membership
from credentials_app.services.teams import membership_remove
from credentials_app.services.tokens import TOKEN_PREFIX, token_authenticate, token_create

pytestmark = pytest.mark.django_db

READ = ApiToken.Scope.READ


def test_a_token_is_shown_once_and_only_its_hash_is_stored(client, user_factory):
    """After the POST's redirect the page shows a new token once, with its prefix; the database holds only its hash."""
    ada = user_factory("ada")
    client.force_login(ada)

    created = client.post(
        reverse("token_list"), {"name": "Provisioning", "expiry": "90", "scopes": [READ]}, follow=True
    )

    assert created.redirect_chain == [(reverse("token_list"), 302)]
    page = created.content.decode()
    raw = re.search(r"(cmk_[A-Za-z0-9_-]{40,})", page).group(1)
    assert raw.startswith(TOKEN_PREFIX) and "shown only this once" in page
    assert created.headers["Cache-Control"].startswith("max-age=0")
    token = ApiToken.objects.get()
    stored = " ".join(str(value) for value in ApiToken.objects.values_list().get())
    assert raw not in stored and raw[len(TOKEN_PREFIX):] not in stored
    assert token.prefix == raw[:12] and token.user == ada and token.scopes == [READ]
    assert timedelta(days=89) < token.expires_at - timezone.now() <= timedelta(days=90)
    again = client.get(reverse("token_list")).content.decode()
    assert raw not in again and token.prefix in again
    assert token_authenticate(raw) == token


def test_reloading_the_page_that_shows_a_token_creates_no_second_one(client, user_factory):
    """The token shows on a GET after the POST: a reload shows the list, and no second token exists."""
    client.force_login(user_factory("ada"))
    client.post(reverse("token_list"), {"name": "Provisioning", "expiry": "90", "scopes": [READ]}, follow=True)

    again = client.get(reverse("token_list")).content.decode()

    assert ApiToken.objects.count() == 1 and "shown only this once" not in again


def test_a_second_live_token_of_the_same_name_is_made_with_a_warning(client, user_factory):
    """A duplicate name among one's live tokens is allowed, and the panel says how to tell them apart."""
    ada = user_factory("ada")
    client.force_login(ada)
    revoked, _ = token_create(creator=ada, name="Nightly", scopes=[READ])
    ApiToken.objects.filter(pk=revoked.pk).update(revoked_at=timezone.now())
    form = {"name": "Nightly", "expiry": "90", "scopes": [READ]}

    first = client.post(reverse("token_list"), form, follow=True).content.decode()
    second = client.post(reverse("token_list"), form, follow=True).content.decode()

    assert "another live token named" not in first
    newest = ApiToken.objects.latest("created_at")
    assert "another live token named “Nightly”" in second and f"{newest.prefix}…" in second


def test_a_token_that_never_expires(user_factory):
    """"Never" stores no expiry, and the token keeps working."""
    token, raw = token_create(creator=user_factory(), name="Forever", scopes=[READ], expires_in_days=None)
    assert token.expires_at is None and token_authenticate(raw) == token


def test_revoked_expired_and_unknown_tokens_are_refused(client, user_factory):
    """Revoking on the page, or passing the expiry, makes the token unusable; a made-up one never works."""
    ada = user_factory("ada")
    client.force_login(ada)
    revoked, revoked_raw = token_create(creator=ada, name="Old script", scopes=[READ])
    expired, expired_raw = token_create(creator=ada, name="Short", scopes=[READ], expires_in_days=1)
    ApiToken.objects.filter(pk=expired.pk).update(expires_at=timezone.now() - timedelta(seconds=1))

    response = client.post(reverse("token_revoke", args=[revoked.pk]), follow=True)

    assert "Token “Old script” revoked." in response.content.decode()
    assert token_authenticate(revoked_raw) is None
    assert token_authenticate(expired_raw) is None
    assert token_authenticate(TOKEN_PREFIX + "x" * 43) is None
    assert token_authenticate("") is None


def test_nobody_revokes_someone_elses_token(client, user_factory):
    """Another person's token is not found for them, and keeps working."""
    ada, eve = user_factory("ada"), user_factory("eve")
    token, raw = token_create(creator=ada, name="Mine", scopes=[READ])
    client.force_login(eve)

    assert client.post(reverse("token_revoke", args=[token.pk])).status_code == 404
    assert token_authenticate(raw) == token


def test_deactivating_a_user_revokes_their_personal_tokens_not_their_team_tokens(user_factory, team_factory):
    """A deactivated person's own tokens stop at once; the team token they made keeps working."""
    ada, bob = user_factory("ada"), user_factory("bob")
    team = team_factory("Ops", admins=[ada, bob])
    personal, personal_raw = token_create(creator=ada, name="Mine", scopes=[READ])
    team_token, team_raw = token_create(creator=ada, name="Ops robot", scopes=[READ], team=team)

    ada.is_active = False
    ada.save()

    personal.refresh_from_db()
    assert personal.revoked_at is not None and token_authenticate(personal_raw) is None
    assert token_authenticate(team_raw) == team_token


def test_only_team_admins_create_team_tokens(client, user_factory, team_factory):
    """A member cannot pick the team on the page, and the service refuses them too."""
    ada, bob = user_factory("ada"), user_factory("bob")
    team = team_factory("Ops", admins=[ada], members=[bob])
    client.force_login(bob)

    response = client.post(
        reverse("token_list"), {"name": "Sneaky", "expiry": "90", "scopes": [READ], "owner": str(team.pk)}
    )

    assert "Select a valid choice" in response.content.decode()
    assert not ApiToken.objects.exists()
    with pytest.raises(Exception, match="Only an admin"):
        token_create(creator=bob, name="Sneaky", scopes=[READ], team=team)


def test_a_team_token_acts_with_the_teams_share_levels_and_survives_members_leaving(user_factory, credential_factory, team_factory, share_factory):
    """A team token reaches what is shared with the team, at the share's level, whoever has left the team."""
    ada, bob, carol = user_factory("ada"), user_factory("bob"), user_factory("carol")
    team = team_factory("Ops", admins=[ada, bob])
    used = credential_factory(owner=carol, name="Used")
    managed = credential_factory(owner=carol, name="Managed")
    credential_factory(owner=ada, name="Ada's own, not shared")
    share_factory(used, team, CredentialShare.Level.USE)
    share_factory(managed, team, CredentialShare.Level.MANAGE)
    token, raw = token_create(creator=ada, name="Ops robot", scopes=[READ], team=team)

    membership_remove(membership=Membership.objects.get(team=team, user=ada))

    assert token_authenticate(raw) == token
    assert set(credentials_usable_by(token)) == {used, managed}
    assert set(credentials_manageable_by(token)) == {managed}
    assert access_level(token, used) == "use" and access_level(token, managed) == "manage"


def test_a_personal_token_reaches_exactly_what_its_person_does(user_factory, credential_factory, team_factory, share_factory):
    """A personal token sees its person's own credentials and their teams' shares, nothing else."""
    ada, carol = user_factory("ada"), user_factory("carol")
    team = team_factory("Ops", members=[ada])
    own = credential_factory(owner=ada)
    shared = credential_factory(owner=carol)
    credential_factory(owner=carol)
    share_factory(shared, team)
    token, _ = token_create(creator=ada, name="Mine", scopes=[READ])

    assert set(credentials_usable_by(token)) == set(credentials_usable_by(ada)) == {own, shared}
    assert set(credentials_manageable_by(token)) == {own}


def test_last_used_is_written_at_most_once_a_minute(user_factory):
    """The first use records the time; a use seconds later only reads (the token with its person, at once)."""
    token, raw = token_create(creator=user_factory(), name="Busy", scopes=[READ])

    token_authenticate(raw)
    first = ApiToken.objects.get().last_used_at
    with CaptureQueriesContext(connection) as queries:
        token_authenticate(raw)

    assert [query["sql"].split()[0] for query in queries] == ["SELECT"]

    assert first is not None and ApiToken.objects.get().last_used_at == first


def test_a_new_token_waits_for_its_one_showing_sealed_not_in_the_session_in_clear(client, user_factory):
    """Between the POST and the page that shows it, the session row holds no readable token; the page shows it."""
    from django.contrib.sessions.models import Session

    client.force_login(user_factory("ada"))
    client.post(reverse("token_list"), {"name": "Provisioning", "expiry": "90", "scopes": [READ]})
    stored = Session.objects.get(session_key=client.session.session_key).session_data

    page = client.get(reverse("token_list")).content.decode()

    raw = re.search(r'id="new-token" class="token-once">(cmk_[^<]+)<', page).group(1)
    assert token_authenticate(raw) is not None
    assert raw not in stored and raw not in str(client.session.load())
