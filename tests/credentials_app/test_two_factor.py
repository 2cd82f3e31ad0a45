"""Two factors: enrolling, signing in with an app code or a recovery code, an admin's reset, enforcement,
and a second look before sensitive acts. Every change to a person's factors is in the audit log."""
import pyotp
import pytest
from allauth.mfa.models import Authenticator
from django.urls import reverse

from credentials_app.models import AuditEvent, Credential
from credentials_app.signin.proof import SESSION_KEY as PROOF_KEY

pytestmark = pytest.mark.django_db

PASSWORD = "pw-for-tests-1"
Action = AuditEvent.Action


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """Return a context that runs what allauth defers to the commit (its signals) as the block ends."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


@pytest.fixture
def enrol_app(client, committed):
    """Return a function: sign user in, add an authenticator app through the pages, sign out; return its secret."""

    def enrol(client_, user) -> str:
        client_.force_login(user)
        page = client_.get(reverse("mfa_activate_totp"))
        secret = page.context["form"].secret
        with committed():
            response = client_.post(reverse("mfa_activate_totp"), {"code": pyotp.TOTP(secret).now()})
        assert response.status_code == 302
        client_.logout()
        return secret

    return enrol


def recovery_codes_of(user) -> list[str]:
    from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes

    return RecoveryCodes(Authenticator.objects.get(user=user, type=Authenticator.Type.RECOVERY_CODES)).get_unused_codes()


def sign_in(client, username, url="/accounts/login/"):
    return client.post(url, {"username": username, "password": PASSWORD})


def signed_in_as(client):
    return client.session.get("_auth_user_id")


def test_adding_an_authenticator_app_is_audited_and_recovery_codes_come_with_it(client, user_factory, enrol_app):
    """Enrolling an app records "Second factor added" and gives one-time recovery codes."""
    user = user_factory()

    enrol_app(client, user)

    assert AuditEvent.objects.filter(action=Action.TWO_FACTOR_ADDED, actor=user).exists()
    assert len(recovery_codes_of(user)) == 10


@pytest.mark.parametrize("url", ["/accounts/login/", "/admin/login/"])
def test_the_password_alone_does_not_sign_in_once_a_second_factor_exists(client, user_factory, enrol_app, url):
    """With an app enrolled, the right password leads to the code prompt, not into the app (the admin too)."""
    user = user_factory(is_staff=True)
    secret = enrol_app(client, user)

    response = sign_in(client, user.username, url)

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("mfa_authenticate"))
    assert signed_in_as(client) is None
    assert client.post(reverse("mfa_authenticate"), {"code": "000000"}).status_code == 200
    assert signed_in_as(client) is None

    client.post(reverse("mfa_authenticate"), {"code": pyotp.TOTP(secret).now()})

    assert signed_in_as(client) == str(user.pk)


def test_wrong_codes_pause_the_second_step_after_the_failure_limit(client, user_factory, enrol_app, settings):
    """LOGIN_FAILURE_LIMIT wrong app codes, and even the right code is refused for a while."""
    user = user_factory()
    secret = enrol_app(client, user)
    sign_in(client, user.username)
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post(reverse("mfa_authenticate"), {"code": "000000"})

    response = client.post(reverse("mfa_authenticate"), {"code": pyotp.TOTP(secret).now()})

    assert signed_in_as(client) is None
    assert "Too many failed" in response.content.decode()


def test_a_lost_device_is_recovered_with_a_code_that_works_once(client, user_factory, enrol_app, committed):
    """A recovery code signs in once, is audited, and is refused the second time."""
    user = user_factory()
    enrol_app(client, user)
    code = recovery_codes_of(user)[0]

    sign_in(client, user.username)
    with committed():
        client.post(reverse("mfa_authenticate"), {"code": code})

    assert signed_in_as(client) == str(user.pk)
    assert AuditEvent.objects.filter(action=Action.RECOVERY_CODE_USED, actor=user).count() == 1
    client.logout()
    sign_in(client, user.username)
    client.post(reverse("mfa_authenticate"), {"code": code})
    assert signed_in_as(client) is None


def test_an_administrator_resets_a_lost_device_and_it_is_audited(client, admin_client, user_factory, enrol_app, django_user_model):
    """The admin action removes every second factor; the person signs in with the password again."""
    user = user_factory()
    enrol_app(client, user)

    admin_client.post(
        reverse("admin:auth_user_changelist"), {"action": "reset_two_factors", "_selected_action": [user.pk]}
    )

    assert not Authenticator.objects.filter(user=user).exists()
    event = AuditEvent.objects.get(action=Action.TWO_FACTOR_RESET)
    assert event.details["person"] == user.username
    assert event.actor == django_user_model.objects.get(username="admin")
    sign_in(client, user.username)
    assert signed_in_as(client) == str(user.pk)


# --- Enforcement ------------------------------------------------------------


def test_staff_who_must_enrol_reach_nothing_but_enrolment_until_they_have(client, user_factory, enrol_app, settings):
    """TWO_FACTOR_REQUIRED_FOR=staff: a staff member is sent to the two-factor page from every page, then freed."""
    settings.TWO_FACTOR_REQUIRED_FOR = "staff"
    staff, person = user_factory(is_staff=True), user_factory()
    client.force_login(person)
    assert client.get(reverse("credential_list")).status_code == 200

    client.force_login(staff)
    for url in ["/", reverse("credential_list"), reverse("token_list"), "/admin/"]:
        response = client.get(url)
        assert response.status_code == 302 and response["Location"] == reverse("mfa_index"), url
    assert client.get(reverse("mfa_index")).status_code == 200
    client.logout()

    enrol_app(client, staff)
    client.force_login(staff)
    assert client.get(reverse("credential_list")).status_code == 200


def test_a_team_admin_requires_two_factors_of_the_team(client, user_factory, team_factory):
    """The team's rule is audited, and a member without a second factor is sent to enrolment."""
    admin, member = user_factory(), user_factory()
    team = team_factory("Ops", admins=[admin], members=[member])
    client.force_login(admin)

    client.post(reverse("team_two_factor", args=[team.pk]), {"required": "on"})

    team.refresh_from_db()
    assert team.two_factor_required
    assert AuditEvent.objects.filter(action=Action.TWO_FACTOR_TEAM_RULE, actor=admin).exists()
    client.force_login(member)
    assert client.get(reverse("team_detail", args=[team.pk]))["Location"] == reverse("mfa_index")


def test_api_tokens_are_not_affected_by_enforcement(client, user_factory, settings):
    """A token of a person who has not enrolled still reads the API."""
    from credentials_app.services.tokens import token_create

    settings.TWO_FACTOR_REQUIRED_FOR = "everyone"
    user = user_factory()
    _, raw = token_create(creator=user, name="Airflow", scopes=["credentials:read"], expires_in_days=None, team=None)

    response = client.get("/api/v1/credentials/", HTTP_AUTHORIZATION=f"Bearer {raw}")

    assert response.status_code == 200


# --- A second look ------------------------------------------------------------


def age_the_proof(client):
    session = client.session
    session[PROOF_KEY] = 0
    session.save()


def test_an_old_proof_asks_for_the_password_again_and_then_carries_out_the_act(client, user_factory, credential_factory):
    """Deleting with a proof older than REAUTHENTICATION_MINUTES asks first; after the password it is done."""
    user = user_factory()
    credential = credential_factory(owner=user, name="Box office")
    client.force_login(user)
    age_the_proof(client)

    response = client.post(reverse("credential_delete", args=[credential.pk]))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_reauthenticate"))
    assert Credential.objects.filter(pk=credential.pk).exists()
    client.post(response["Location"], {"password": PASSWORD})
    assert not Credential.objects.filter(pk=credential.pk).exists()


def test_a_second_factor_counts_as_a_second_look(client, user_factory, enrol_app, credential_factory):
    """With an app enrolled, the second look can be an app code."""
    user = user_factory()
    secret = enrol_app(client, user)
    credential = credential_factory(owner=user, name="Box office")
    client.force_login(user)
    age_the_proof(client)

    response = client.post(reverse("credential_delete", args=[credential.pk]))
    client.post(reverse("mfa_reauthenticate") + "?" + response["Location"].split("?")[1],
                {"code": pyotp.TOTP(secret).now()})

    assert not Credential.objects.filter(pk=credential.pk).exists()


def test_a_recent_sign_in_needs_no_second_look(client, user_factory, credential_factory):
    """Right after signing in the act is done at once."""
    user = user_factory()
    credential = credential_factory(owner=user, name="Box office")
    sign_in(client, user.username)

    client.post(reverse("credential_delete", args=[credential.pk]))

    assert not Credential.objects.filter(pk=credential.pk).exists()


def test_someone_who_signs_on_only_is_asked_to_sign_in_again(client, user_factory, credential_factory):
    """No password, no second factor: an old proof leads to "Sign in again", not a bare refusal."""
    user = user_factory()
    user.set_unusable_password()
    user.save()
    credential = credential_factory(owner=user, name="Box office")
    client.force_login(user)
    age_the_proof(client)

    response = client.post(reverse("credential_delete", args=[credential.pk]), follow=True)

    assert "Sign out and sign in again" in response.content.decode()
    assert Credential.objects.filter(pk=credential.pk).exists()
