"""Every page a person meets, with enough data in it to show its tables and lists."""
from datetime import timedelta

from django.urls import reverse
from django.utils import timezone

from credentials_app.models import CredentialShare
from credentials_app.models import Notification, NotificationChannel


def build_every_page(*, user, user_factory, credential_factory, team_factory, share_factory, connection_factory):
    """Store a team, credentials, a share and a data source for user; return (name, path) for each page."""
    teammate = user_factory("grace-hopper-with-a-long-name")
    team = team_factory("Data and analytics team with a long name", admins=[user], members=[teammate])
    credential = credential_factory(
        owner=user, name="Box office credential with a rather long name", description="Sales, every night."
    )
    credential_factory(owner=teammate, provider="custify", name="Customer success")
    share_factory(credential, team, level=CredentialShare.Level.USE)
    connection_factory(credential, name="Weekly sales")
    webhook = NotificationChannel.objects.create(user=user, kind="webhook", target="https://hooks.example.com/in/x",
                                                 signing_secret="whsec_c2VjcmV0")
    NotificationChannel.objects.create(team=team, kind="slack", target="https://hooks.slack.com/services/T/B/x")
    Notification.objects.create(
        channel=webhook, event="credential.trouble", credential=credential, subject=f"{credential.name} is Rejected",
        text="Refused.", occurred_at=timezone.now(), attempts=1, last_error="The receiver answered HTTP 500.",
        next_attempt_at=timezone.now() + timedelta(minutes=1),
    )
    return [
        ("home", reverse("home")),
        ("catalog", reverse("catalog", args=["source"])),
        ("authenticate", reverse("authenticate", args=["source", "humanitix"])),
        ("credentials list", reverse("credential_list")),
        ("credential page", reverse("credential_detail", args=[credential.pk])),
        ("teams list", reverse("team_list")),
        ("team page", reverse("team_detail", args=[team.pk])),
        ("sharing page", reverse("credential_sharing", args=[credential.pk])),
        ("API tokens page", reverse("token_list")),
        ("notifications page", reverse("notifications")),
        ("team notifications page", reverse("team_notifications", args=[team.pk])),
    ]
