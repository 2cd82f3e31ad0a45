"""Create the test provider's people, groups and the client registration for the app under test."""
import os

from django.contrib.auth.models import Group, User
from oidc_provider.models import Client, ResponseType


def seed():
    people = {
        "grace": ("grace@example.com", "", ["ops-admins"]),
        "linus": ("ada@example.com", "", ["ops"]),
        "mallory": ("owner@example.com", "unverified", []),
        "tess": ("teammate@example.com", "", ["ops"]),
    }
    for username, (email, last_name, groups) in people.items():
        user = User.objects.create_user(username, email, "idp-password-1", last_name=last_name)
        user.groups.set([Group.objects.get_or_create(name=name)[0] for name in groups])
    client = Client.objects.create(
        name="Credential Manager", client_type="confidential", client_id="credential-manager",
        client_secret="idp-client-secret", require_consent=False, reuse_consent=True, jwt_alg="RS256",
    )
    client.redirect_uris = [os.environ["APP_CALLBACK"]]
    client.scope = ["openid", "profile", "email", "groups"]
    client.save()
    client.response_types.set(ResponseType.objects.filter(value="code"))


seed()
