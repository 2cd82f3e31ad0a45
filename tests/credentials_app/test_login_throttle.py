"""Sign-in is throttled per account and per client address, on our login page and the admin's."""
import pytest

pytestmark = pytest.mark.django_db

PASSWORD = "pw-for-tests-1"
LOGIN_PAGES = ["/accounts/login/", "/admin/login/"]


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    """Hash test passwords cheaply: these tests sign in dozens of times."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def sign_in(client, url, username, password, address="203.0.113.7"):
    return client.post(url, {"username": username, "password": password}, REMOTE_ADDR=address)


@pytest.mark.parametrize("url", LOGIN_PAGES)
def test_an_account_is_paused_after_the_failure_limit_with_a_clear_message(client, user_factory, settings, url):
    """After LOGIN_FAILURE_LIMIT wrong passwords even the right one is refused, with 429 and why."""
    user = user_factory(is_staff=True)
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert sign_in(client, url, user.username, "wrong").status_code == 200

    response = sign_in(client, url, user.username, "wrong")
    assert response.status_code == 429
    response = sign_in(client, url, user.username, PASSWORD)

    assert response.status_code == 429
    assert response["Retry-After"] == "900"
    page = response.content.decode()
    assert "Too many failed sign-ins for this account or from this address" in page
    assert "paused for 15 minutes" in page
    assert "_auth_user_id" not in client.session


@pytest.mark.parametrize("url", LOGIN_PAGES)
def test_one_address_trying_many_accounts_is_paused(client, user_factory, settings, url):
    """Guessing a different account each time from one address still meets the limit."""
    victims = [user_factory(is_staff=True) for _ in range(settings.AXES_FAILURE_LIMIT + 1)]
    for victim in victims[:-1]:
        sign_in(client, url, victim.username, "wrong")

    assert sign_in(client, url, victims[-1].username, PASSWORD).status_code == 429


def test_one_account_tried_from_many_addresses_is_paused(client, user_factory, settings):
    """Spreading guesses over many addresses does not escape the per-account limit."""
    user = user_factory()
    for number in range(settings.AXES_FAILURE_LIMIT):
        sign_in(client, "/accounts/login/", user.username, "wrong", address=f"198.51.100.{number + 1}")

    assert sign_in(client, "/accounts/login/", user.username, PASSWORD, address="192.0.2.99").status_code == 429


def test_a_person_who_mistypes_a_few_times_still_gets_in(client, user_factory, settings):
    """Fewer failures than the limit, then the right password: signed in, and the count starts again."""
    user = user_factory()
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        sign_in(client, "/accounts/login/", user.username, "wrong")

    response = sign_in(client, "/accounts/login/", user.username, PASSWORD)

    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(user.pk)


def test_behind_a_trusted_proxy_the_forwarded_address_is_counted(client, user_factory, settings):
    """With TRUSTED_PROXY_COUNT=1 clients behind one proxy are told apart by X-Forwarded-For."""
    settings.TRUSTED_PROXY_COUNT = 1
    users = [user_factory() for _ in range(settings.AXES_FAILURE_LIMIT + 1)]
    for user in users[:-1]:
        client.post("/accounts/login/", {"username": user.username, "password": "wrong"},
                    REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="203.0.113.50")

    other_client = client.post(
        "/accounts/login/", {"username": users[-1].username, "password": PASSWORD},
        REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="203.0.113.51",
    )
    assert other_client.status_code == 302
