"""The Notifications pages: a person's channels, a team's, the delivery log and the test button."""
import pytest
from django.core import mail
from django.db import transaction
from django.utils import timezone

from credentials_app.models import Credential
from credentials_app.models import Notification, NotificationChannel
from credentials_app.health import health_changed

Kind = NotificationChannel.Kind


@pytest.fixture(autouse=True)
def mail_configured(settings):
    """Mail is configured; pytest-django's in-memory backend keeps what is sent."""
    settings.EMAIL_CONFIGURED = True


def reject(credential):
    with transaction.atomic():
        health_changed.send(sender=Credential, credential=credential, old="verified", new="rejected",
                            cause="Refused (HTTP 401).", at=timezone.now())


def test_the_nav_links_the_page_and_email_to_the_owner_is_on_by_default(client, owner):
    """Every page links to Notifications; there, email to the person's address is on from the start."""
    page = client.get("/notifications/")

    assert b'href="/notifications/" aria-current="page">Notifications' in page.content
    [channel] = page.context["channels"]
    assert (channel.kind, channel.enabled, channel.display_target) == (Kind.EMAIL, True, owner.email)


def test_a_webhook_shows_its_signing_secret_once_and_its_url_only_by_host(client, owner):
    """A new webhook's secret is shown once; afterwards its URL shows only scheme and host."""
    url = "https://hooks.example.com/in/SECRETPATH?token=SECRETQUERY"

    added = client.post("/notifications/", {"kind": "webhook", "url": url})

    channel = NotificationChannel.objects.get(user=owner, kind=Kind.WEBHOOK)
    assert channel.signing_secret.startswith("whsec_")
    assert channel.signing_secret in added.content.decode()
    later = client.get("/notifications/").content.decode()
    assert channel.signing_secret not in later
    assert "https://hooks.example.com/…" in later and "SECRET" not in later


@pytest.mark.parametrize("url, said", [
    ("http://hooks.example.com/in", "must start with https://"),
    ("https://user:pw@hooks.example.com/in", "no user name or password"),
    ("ftp://hooks.example.com/in", "must start with https://"),
])
def test_a_url_the_app_may_not_call_is_refused_with_a_reason(client, owner, settings, url, said):
    """Plain http (other than to this machine, when allowed), other schemes and passwords in URLs are refused."""
    settings.NOTIFICATION_ALLOW_PRIVATE_URLS = True
    page = client.post("/notifications/", {"kind": "slack", "url": url})

    assert page.status_code == 400
    assert said in page.content.decode()
    assert not NotificationChannel.objects.filter(kind=Kind.SLACK).exists()


def test_turning_email_off_stops_email(client, owner, credential_factory):
    """Turned off on the page, the email channel queues nothing for the owner's credentials."""
    client.get("/notifications/")
    channel = NotificationChannel.objects.get(user=owner)

    client.post(f"/notifications/channels/{channel.pk}/enabled/", {"enabled": "off"})
    reject(credential_factory(owner=owner))

    assert "Off" in client.get("/notifications/").content.decode()
    assert not Notification.objects.exists()


def test_the_test_button_sends_and_the_log_shows_it(client, owner):
    """"Send a test notification" mails the person at once, and the delivery log says it was sent."""
    client.get("/notifications/")
    channel = NotificationChannel.objects.get(user=owner)

    answer = client.post(f"/notifications/channels/{channel.pk}/test/", follow=True)

    [message] = mail.outbox
    assert message.to == [owner.email] and "Test notification" in message.subject
    page = answer.content.decode()
    assert "Test notification sent" in page
    assert "Sent " in page and "Test notification" in page


def test_a_failing_test_says_why_and_when_it_is_tried_again(client, owner, webhook_receiver):
    """A test to a receiver answering 500 says so; the log shows the failure and the next try."""
    client.post("/notifications/", {"kind": "webhook", "url": webhook_receiver.at("/hook")})
    channel = NotificationChannel.objects.get(user=owner, kind=Kind.WEBHOOK)
    webhook_receiver.answer = 500

    page = client.post(f"/notifications/channels/{channel.pk}/test/", follow=True).content.decode()

    assert "failed: The receiver answered HTTP 500." in page
    row = Notification.objects.get(channel=channel)
    assert row.state == "pending" and row.next_attempt_at > timezone.now()
    assert row.next_attempt_at.strftime("%Y-%m-%d %H:%M:%S") in page


def test_another_person_cannot_see_or_change_your_channels(client, owner, user_factory, webhook_receiver):
    """Someone else gets 404 for every action on your channel, sees none of it, and changes nothing."""
    client.post("/notifications/", {"kind": "webhook", "url": webhook_receiver.at("/hook-of-owner")})
    channel = NotificationChannel.objects.get(user=owner, kind=Kind.WEBHOOK)
    client.post(f"/notifications/channels/{channel.pk}/test/")
    client.force_login(user_factory())

    for action in ("enabled", "remove", "test"):
        assert client.post(f"/notifications/channels/{channel.pk}/{action}/", {"enabled": "off"}).status_code == 404
    page = client.get("/notifications/").content.decode()

    channel.refresh_from_db()
    assert channel.enabled and Notification.objects.filter(channel=channel).count() == 1
    assert str(channel.pk) not in page and "Test notification" not in page


def test_only_a_team_admin_sees_and_changes_the_team_channels(client, owner, user_factory, team_factory):
    """A team's channels are the admins' to see and change: members get 403, outsiders 404."""
    member, outsider = user_factory(), user_factory()
    team = team_factory(admins=[owner], members=[member])

    assert "Choose the team's channels" in client.get(f"/teams/{team.pk}/").content.decode()
    added = client.post(f"/teams/{team.pk}/notifications/", {"kind": "slack", "url": "https://hooks.slack.com/services/T/B/x"})
    assert added.status_code == 200
    slack = NotificationChannel.objects.get(team=team, kind=Kind.SLACK)
    default_email = NotificationChannel.objects.get(team=team, kind=Kind.EMAIL)
    assert default_email.display_target == "the team's admins"

    for person, refused in ((member, 403), (outsider, 404)):
        client.force_login(person)
        assert client.get(f"/teams/{team.pk}/notifications/").status_code == refused
        assert client.post(f"/teams/{team.pk}/notifications/", {"kind": "slack", "url": "https://x.example/y"}).status_code == refused
        for action in ("enabled", "remove", "test"):
            assert client.post(f"/notifications/channels/{slack.pk}/{action}/").status_code == refused
    client.force_login(member)
    assert "Choose the team's channels" not in client.get(f"/teams/{team.pk}/").content.decode()

    slack.refresh_from_db()
    assert slack.enabled and NotificationChannel.objects.filter(team=team).count() == 2
    client.force_login(owner)
    client.post(f"/notifications/channels/{slack.pk}/enabled/", {"enabled": "off"})
    slack.refresh_from_db()
    assert not slack.enabled


def test_the_default_email_channel_cannot_be_removed(client, owner):
    """Email to one's own address is turned off, not removed: removing it says so."""
    client.get("/notifications/")
    channel = NotificationChannel.objects.get(user=owner)

    page = client.post(f"/notifications/channels/{channel.pk}/remove/", follow=True).content.decode()

    assert "can be turned off, not removed" in page
    assert NotificationChannel.objects.filter(pk=channel.pk).exists()


def test_the_admin_lists_the_outbox_without_url_secrets(client, sign_in, user_factory, credential_factory):
    """Operators see each message's state in the admin, read-only, and never a URL's secret path."""
    owner = user_factory()
    sign_in(is_staff=True, is_superuser=True)
    NotificationChannel.objects.create(user=owner, kind=Kind.SLACK, target="https://hooks.slack.com/services/T/B/SECRETPATH")
    reject(credential_factory(owner=owner, name="Box office"))

    page = client.get("/admin/credentials_app/notification/").content.decode()

    assert "Box office is Rejected" in page and "https://hooks.slack.com/…" in page
    assert "SECRETPATH" not in page
    assert client.get("/admin/credentials_app/notification/add/").status_code == 403
