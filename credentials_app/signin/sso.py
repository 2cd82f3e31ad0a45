"""Single sign-on (OpenID Connect): who may sign up, linking by verified email, and teams from groups."""
from allauth.account.signals import user_logged_in, user_signed_up
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.dispatch import receiver

from credentials_app import events
from credentials_app.models import AuditEvent, Membership, Team
from credentials_app.services.teams import ensure_admins_remain

Action = AuditEvent.Action


class SocialAccountAdapter(DefaultSocialAccountAdapter):
    def is_open_for_signup(self, request, sociallogin):
        """Let the first single sign-on make the account: the provider vouches for the person."""
        return True

    def pre_social_login(self, request, sociallogin):
        """Link a first single sign-on to the existing account with that email, only if the provider verified it."""
        if sociallogin.is_existing:
            return
        verified = [address.email for address in sociallogin.email_addresses if address.verified]
        if not verified:
            return
        matches = list(get_user_model().objects.filter(email__iexact=verified[0], is_active=True)[:2])
        if len(matches) == 1:
            sociallogin.connect(request, matches[0])
            events.single_sign_on(user=matches[0], action=Action.SSO_LINKED, provider=_provider_name(sociallogin))


def team_roles_from_groups(groups) -> dict[str, str]:
    """Return {team name: role} for the groups named in OIDC_GROUP_TEAMS; admin wins over member."""
    roles: dict[str, str] = {}
    for group, target in settings.OIDC_GROUP_TEAMS.items():
        team_name, _, role = target.partition(":")
        if group in groups and roles.get(team_name) != Membership.Role.ADMIN:
            roles[team_name] = role if role in Membership.Role.values else Membership.Role.MEMBER
    return roles


@transaction.atomic
def memberships_sync_from_groups(*, user, groups) -> list[str]:
    """Make user's memberships of the mapped teams match their groups: join, change role, or leave.

    A change that would leave a team without an admin is skipped (the last admin stays). Return the
    changes made, in words ("joined Ops as admin", "left Ops").
    """
    changes = []
    wanted = team_roles_from_groups(groups)
    mapped = {target.partition(":")[0] for target in settings.OIDC_GROUP_TEAMS.values()}
    for team_name, role in wanted.items():
        team, _ = Team.objects.get_or_create(name=team_name)
        membership, created = Membership.objects.get_or_create(team=team, user=user, defaults={"role": role})
        if created:
            changes.append(f"joined {team_name} as {role}")
        elif membership.role != role:
            membership.role = role
            try:
                ensure_admins_remain(changed=[membership])
            except ValidationError:
                continue
            membership.save(update_fields=["role"])
            changes.append(f"{role} of {team_name}")
    for membership in Membership.objects.filter(user=user, team__name__in=mapped - set(wanted)):
        try:
            ensure_admins_remain(leaving=[membership])
        except ValidationError:
            continue
        membership.delete()
        changes.append(f"left {membership.team.name}")
    return changes


@receiver(user_logged_in, dispatch_uid="sso_sync_teams")
def _sync_teams(sender, request, user, sociallogin=None, **kwargs):
    if sociallogin is None or not settings.OIDC_GROUP_TEAMS:
        return
    data = sociallogin.account.extra_data or {}
    claims = {**(data.get("id_token") or {}), **(data.get("userinfo") or {})}
    groups = claims.get(settings.OIDC_GROUPS_CLAIM) or []
    changes = memberships_sync_from_groups(user=user, groups=set(groups if isinstance(groups, list) else [groups]))
    if changes:
        events.single_sign_on(
            user=user, action=Action.TEAMS_FROM_GROUPS, provider=_provider_name(sociallogin), changes=changes
        )


@receiver(user_signed_up, dispatch_uid="sso_audit_signed_up")
def _signed_up(sender, request, user, sociallogin=None, **kwargs):
    if sociallogin is not None:
        events.single_sign_on(user=user, action=Action.SSO_SIGNED_UP, provider=_provider_name(sociallogin))


def _provider_name(sociallogin) -> str:
    return sociallogin.provider.name
