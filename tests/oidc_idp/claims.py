"""The claims the test provider gives: email (verified unless the user's last name says "unverified") and groups."""
from oidc_provider.lib.claims import ScopeClaims


def userinfo(claims, user):
    claims["preferred_username"] = user.username
    claims["name"] = user.get_full_name()
    claims["email"] = user.email
    claims["email_verified"] = user.last_name != "unverified"
    return claims


class GroupsClaims(ScopeClaims):
    info_groups = ("Groups", "The groups you belong to.")

    def scope_groups(self):
        return {"groups": sorted(self.user.groups.values_list("name", flat=True))}
