"""Who hears of a credential: its owner, and each team it is shared with (the team's admins and channels)."""
from django.conf import settings

from credentials_app.models import Credential, Membership, Team
from credentials_app.models import NotificationChannel

Kind = NotificationChannel.Kind


def default_email_channel(*, user=None, team=None) -> NotificationChannel | None:
    """Return the email channel of user or team, creating it (on) if mail is configured and it has none.

    This is how "email to the owner is on by default" holds: the row appears the first time it is
    needed, and a person who turns it off keeps a row that says so.
    """
    if not settings.EMAIL_CONFIGURED:
        return NotificationChannel.objects.filter(user=user, team=team, kind=Kind.EMAIL, target="").first()
    channel, _ = NotificationChannel.objects.get_or_create(user=user, team=team, kind=Kind.EMAIL, target="")
    return channel


def addresses_of(channel: NotificationChannel) -> list[str]:
    """Return the email addresses an email channel reaches: its own, its person's, or its team's admins'."""
    if channel.target:
        return [channel.target]
    if channel.user_id is not None:
        return [channel.user.email] if channel.user.email and channel.user.is_active else []
    admins = Membership.objects.filter(team_id=channel.team_id, role=Membership.Role.ADMIN, user__is_active=True)
    return sorted({email for email in admins.values_list("user__email", flat=True) if email})


def destinations(channels) -> list[tuple[NotificationChannel, str]]:
    """Return (channel, email address or "") for each message owed to the enabled channels, without repeats.

    An address or URL reached twice (an owner who is also a team's admin, a URL set by two teams) gets
    one message. Email channels count only while mail is configured.
    """
    seen, found = set(), []
    for channel in channels:
        if not channel.enabled or (channel.kind == Kind.EMAIL and not settings.EMAIL_CONFIGURED):
            continue
        for address in addresses_of(channel) if channel.kind == Kind.EMAIL else [""]:
            key = (Kind.EMAIL, address.lower()) if address else (channel.kind, channel.target)
            if key not in seen:
                seen.add(key)
                found.append((channel, address))
    return found


def channels_for_credential(credential: Credential) -> list[NotificationChannel]:
    """Return the channels of credential's owner, then of each team it is shared with, defaults created."""
    owner = credential.owner
    owners = []
    if owner.is_active:
        default_email_channel(user=owner)
        owners = list(NotificationChannel.objects.filter(user=owner).select_related("user"))
    teams = list(Team.objects.filter(shares__credential=credential).order_by("name"))
    for team in teams:
        default_email_channel(team=team)
    team_channels = NotificationChannel.objects.filter(team__in=teams).select_related("team").order_by(
        "team__name", "kind", "created_at"
    )
    return owners + list(team_channels)
