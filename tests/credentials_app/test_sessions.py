"""The Sessions page: where an account is signed in, signing out the others; deactivation ends them all."""
import pytest
from django.contrib.sessions.models import Session
from django.test import Client
from django.urls import reverse

pytestmark = pytest.mark.django_db

BROWSER = "Mozilla/5.0 (X11; Linux x86_64) Firefox/140.0"


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def signed_in_client(user, address, agent=BROWSER) -> Client:
    """Return a client signed in as user through the sign-in page, from address with browser agent."""
    client = Client(REMOTE_ADDR=address, HTTP_USER_AGENT=agent)
    client.post(reverse("account_login"), {"username": user.username, "password": "pw-for-tests-1"})
    assert client.session.get("_auth_user_id") == str(user.pk)
    return client


def test_the_sessions_page_lists_each_device_and_signs_out_the_others(user_factory):
    """Two devices are listed with address and browser; "Sign out the others" ends the other one only."""
    user = user_factory()
    laptop = signed_in_client(user, "198.51.100.7")
    phone = signed_in_client(user, "203.0.113.9", agent="Mozilla/5.0 (iPhone) Safari/604.1")

    page = laptop.get(reverse("usersessions_list")).content.decode()

    assert "198.51.100.7" in page and "203.0.113.9" in page and "iPhone" in page
    laptop.post(reverse("usersessions_list"))
    assert phone.get(reverse("credential_list"))["Location"].startswith("/accounts/login/")
    assert laptop.get(reverse("credential_list")).status_code == 200


def test_a_session_does_not_show_another_persons_sessions(user_factory):
    """Each person sees only their own sessions."""
    ada, bob = user_factory(), user_factory()
    signed_in_client(bob, "203.0.113.50")

    page = signed_in_client(ada, "198.51.100.7").get(reverse("usersessions_list")).content.decode()

    assert "203.0.113.50" not in page


def test_deactivating_a_person_ends_their_sessions(user_factory):
    """Deactivated in the admin: every session of theirs is deleted, as their tokens are revoked."""
    user = user_factory()
    client = signed_in_client(user, "198.51.100.7")
    session_key = client.session.session_key

    user.is_active = False
    user.save()

    assert not Session.objects.filter(session_key=session_key).exists()
