"""Every page a person meets, with enough data in it to show its tables and lists."""
from django.urls import reverse

from credentials_app.models import CredentialShare


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
    ]
