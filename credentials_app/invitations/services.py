"""Invite someone to a team by email, and accept an invitation through its signed link."""
from datetime import timedelta

from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone

from credentials_app import events
from credentials_app.models import Invitation, Membership, Team
from credentials_app.services.teams import ROLE_MESSAGE

SALT = "credentials_app.invitation"


class InvitationUnusable(Exception):
    """The link is forged, expired, already used or withdrawn."""

    message = "This invitation link has expired or was already used. Ask the team admin for a new one."


def invitation_create(*, team: Team, email: str, role: str, invited_by) -> tuple[Invitation, str]:
    """Record an invitation to team at role for email; return it and the token its link carries.

    Nothing about existing accounts is looked up: the answer is the same whoever the address belongs to.
    """
    if role not in Membership.Role.values:
        raise ValidationError({"role": ROLE_MESSAGE})
    invitation = Invitation(
        team=team, email=email.strip().lower(), role=role, invited_by=invited_by,
        expires_at=timezone.now() + timedelta(days=settings.INVITATION_DAYS),
    )
    invitation.full_clean()
    invitation.save()
    events.invited(invitation=invitation, actor=invited_by)
    return invitation, signing.dumps(str(invitation.pk), salt=SALT)


def invitation_send(*, invitation: Invitation, link: str) -> bool:
    """Mail the link to the invited address when mail is configured; return whether it was sent."""
    if not settings.EMAIL_CONFIGURED:
        return False
    inviter = invitation.invited_by.get_username() if invitation.invited_by else "A team admin"
    send_mail(
        subject=f"Join “{invitation.team}” on Credential Manager",
        message=(
            f"{inviter} invites you to the team “{invitation.team}” as {invitation.get_role_display()}.\n\n"
            f"Accept: {link}\n\nThe link works once, until {invitation.expires_at:%Y-%m-%d %H:%M} UTC."
        ),
        from_email=None,
        recipient_list=[invitation.email],
    )
    return True


def invitation_from_token(token: str) -> Invitation:
    """Return the open invitation token names, or raise InvitationUnusable."""
    try:
        pk = signing.loads(token, salt=SALT, max_age=timedelta(days=settings.INVITATION_DAYS))
        invitation = Invitation.objects.select_related("team").get(pk=pk)
    except (signing.BadSignature, Invitation.DoesNotExist, ValidationError):
        raise InvitationUnusable from None
    if invitation.accepted_at is not None or invitation.expires_at <= timezone.now():
        raise InvitationUnusable
    return invitation


@transaction.atomic
def invitation_accept(*, token: str, user) -> Membership:
    """Join user to the invitation's team at its role and use the invitation up; already a member keeps their role."""
    invitation = invitation_from_token(token)
    # Two tabs accepting the same link: only the first one uses it.
    if not Invitation.objects.filter(pk=invitation.pk, accepted_at__isnull=True).update(
        accepted_at=timezone.now(), accepted_by=user
    ):
        raise InvitationUnusable
    membership, _ = Membership.objects.get_or_create(
        team=invitation.team, user=user, defaults={"role": invitation.role}
    )
    events.invitation_accepted(invitation=invitation, user=user, role=membership.role)
    return membership


def invitation_withdraw(*, invitation: Invitation) -> None:
    """Delete an invitation nobody has accepted; its link stops working."""
    if invitation.accepted_at is None:
        invitation.delete()
