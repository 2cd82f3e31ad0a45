"""Password reset exists only when the app can send email."""
import pytest
from django.core import mail

pytestmark = pytest.mark.django_db

RESET_PAGES = [
    "/accounts/password_reset/",
    "/accounts/password_reset/done/",
    "/accounts/reset/MQ/set-password/",
    "/accounts/reset/done/",
]


@pytest.mark.parametrize("url", RESET_PAGES)
def test_password_reset_pages_are_404_without_email(client, user_factory, settings, url):
    """With no EMAIL_URL or EMAIL_HOST, no reset page answers, so no one is promised a mail that never comes."""
    user_factory()
    settings.EMAIL_CONFIGURED = False
    assert client.get(url).status_code == 404
    assert client.post(url, {"email": "someone@example.com"}).status_code == 404


def test_password_reset_sends_a_link_when_email_is_configured(client, user_factory, settings):
    """With email configured, asking for a reset mails the account's address a link."""
    user = user_factory()
    settings.EMAIL_CONFIGURED = True

    response = client.post("/accounts/password_reset/", {"email": user.email})

    assert response.status_code == 302
    assert [message.to for message in mail.outbox] == [[user.email]]
