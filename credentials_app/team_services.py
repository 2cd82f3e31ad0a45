"""Teams, memberships, sharing credentials with teams, and handing credentials over when a user leaves.

Views check who may act (credentials_app.access); these functions keep the rules that hold
whoever acts: a team always keeps an admin, a share names one of the sharer's teams, a
credential always has an owner.
"""
import logging

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import ProtectedError
from django.db.models import Q

from credentials_app.audit import audit_record
from credentials_app.models import AuditEvent, Connection, Credential, CredentialShare, Membership, Team

logger = logging.getLogger(__name__)

LAST_ADMIN_MESSAGE = "“{team}” needs at least one admin. Make someone else an admin first."


# --- Teams and memberships ---


def team_create(*, creator, name: str) -> Team:
    """Create a team called name with creator as its first admin."""
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": "Enter a name for the team."})
    if Team.objects.filter(name__iexact=name).exists():
        raise ValidationError({"name": f"A team named “{name}” already exists. Choose another name."})
    try:
        with transaction.atomic():
            team = Team.objects.create(name=name)
            Membership.objects.create(team=team, user=creator, role=Membership.Role.ADMIN)
    except IntegrityError:
        raise ValidationError({"name": f"A team named “{name}” already exists. Choose another name."}) from None
    return team


def _find_user(identifier: str):
    User = get_user_model()
    identifier = (identifier or "").strip()
    if not identifier:
        raise ValidationError({"user": "Enter a username or an email address."})
    matches = list(
        User.objects.filter(Q(username__iexact=identifier) | Q(email__iexact=identifier), is_active=True)[:2]
    )
    if len(matches) != 1:
        # Two accounts sharing an email must be told apart by username.
        message = (
            f"No user “{identifier}” was found. Enter the username or email of an existing user."
            if not matches
            else f"More than one user has the email “{identifier}”. Enter the username instead."
        )
        raise ValidationError({"user": message})
    return matches[0]


def membership_add(*, team: Team, identifier: str, role: str = Membership.Role.MEMBER) -> Membership:
    """Add the existing user named by username or email to team with role; no email is sent."""
    user = _find_user(identifier)
    if role not in Membership.Role.values:
        raise ValidationError({"role": "Choose Admin or Member."})
    if Membership.objects.filter(team=team, user=user).exists():
        raise ValidationError({"user": f"{user.get_username()} is already a member of “{team}”."})
    try:
        return Membership.objects.create(team=team, user=user, role=role)
    except IntegrityError:
        raise ValidationError({"user": f"{user.get_username()} is already a member of “{team}”."}) from None


def _other_admins(membership: Membership):
    return (
        Membership.objects.select_for_update()
        .filter(team_id=membership.team_id, role=Membership.Role.ADMIN)
        .exclude(pk=membership.pk)
    )


def _ensure_not_last_admin(membership: Membership) -> None:
    if membership.role == Membership.Role.ADMIN and not _other_admins(membership).exists():
        raise ValidationError(LAST_ADMIN_MESSAGE.format(team=membership.team))


def membership_change_role(*, membership: Membership, role: str) -> Membership:
    """Give membership role; the last admin of a team cannot become a member."""
    if role not in Membership.Role.values:
        raise ValidationError({"role": "Choose Admin or Member."})
    with transaction.atomic():
        if role == Membership.Role.MEMBER:
            _ensure_not_last_admin(membership)
        membership.role = role
        membership.save(update_fields=["role"])
    return membership


def membership_remove(*, membership: Membership) -> None:
    """Remove membership from its team (also how a member leaves); never the team's last admin."""
    with transaction.atomic():
        _ensure_not_last_admin(membership)
        membership.delete()


# --- Sharing credentials with teams ---


def _share_details(share: CredentialShare, **extra) -> dict:
    return {"team": share.team.name, "team_id": str(share.team_id), "level": share.level, **extra}


def credential_share(*, credential: Credential, teams, level: str, actor) -> list[CredentialShare]:
    """Share credential with each of teams at level; each must be a team actor belongs to.

    A team the credential is already shared with gets the new level.
    """
    if level not in CredentialShare.Level.values:
        raise ValidationError({"level": "Choose “Can use” or “Can manage”."})
    teams = list(teams)
    if not teams:
        raise ValidationError({"teams": "Choose at least one team."})
    own_team_ids = set(Membership.objects.filter(user=actor).values_list("team_id", flat=True))
    foreign = [team.name for team in teams if team.pk not in own_team_ids]
    if foreign:
        raise ValidationError({"teams": f"You can only share with your own teams, not with {', '.join(foreign)}."})
    shares = []
    with transaction.atomic():
        for team in teams:
            share, created = CredentialShare.objects.get_or_create(
                credential=credential, team=team, defaults={"level": level, "shared_by": actor}
            )
            if created:
                audit_record(
                    credential=credential, actor=actor, action=AuditEvent.Action.SHARED,
                    details=_share_details(share),
                )
            else:
                credential_share_change_level(share=share, level=level, actor=actor)
            shares.append(share)
    return shares


def credential_share_change_level(*, share: CredentialShare, level: str, actor) -> CredentialShare:
    """Set share's level; record it as a share at the new level."""
    if level not in CredentialShare.Level.values:
        raise ValidationError({"level": "Choose “Can use” or “Can manage”."})
    if share.level == level:
        return share
    previous = share.level
    with transaction.atomic():
        share.level = level
        share.save(update_fields=["level"])
        audit_record(
            credential=share.credential, actor=actor, action=AuditEvent.Action.SHARED,
            details=_share_details(share, previous_level=previous),
        )
    return share


def credential_unshare(*, share: CredentialShare, actor) -> None:
    """Stop sharing; the team loses access at once. Connections already built keep working."""
    with transaction.atomic():
        audit_record(
            credential=share.credential, actor=actor, action=AuditEvent.Action.UNSHARED,
            details=_share_details(share),
        )
        share.delete()


# --- When a user leaves ---


def _team_admin_for(credential: Credential, leaving_user):
    """Return (admin, team): an active admin, not leaving_user, of a team credential is shared with."""
    memberships = (
        Membership.objects.filter(
            team__shares__credential=credential, role=Membership.Role.ADMIN, user__is_active=True
        )
        .exclude(user=leaving_user)
        .select_related("user", "team")
        .order_by("team__shares__created_at", "created_at", "pk")
    )
    first = memberships.first()
    return (first.user, first.team) if first else (None, None)


def _superuser_other_than(user):
    User = get_user_model()
    return User.objects.filter(is_superuser=True, is_active=True).exclude(pk=user.pk).order_by("pk").first()


def _free_name(credential: Credential, new_owner, previous_owner) -> str:
    """Return a name new_owner has no other credential of this provider under."""
    taken = {
        name.lower()
        for name in Credential.objects.filter(owner=new_owner, provider=credential.provider)
        .exclude(pk=credential.pk)
        .values_list("name", flat=True)
    }
    if credential.name.lower() not in taken:
        return credential.name
    base = f"{credential.name} (from {previous_owner.get_username()})"[:94]
    candidate, number = base, 2
    while candidate.lower() in taken:
        candidate, number = f"{base} {number}", number + 1
    return candidate


def credential_recipient(*, credential: Credential, leaving_user):
    """Return (new owner, team it came through or None) for credential when leaving_user leaves.

    An admin of a team it is shared with comes first, then a superuser; (None, None) if nobody.
    """
    new_owner, team = _team_admin_for(credential, leaving_user)
    if new_owner is None:
        return _superuser_other_than(leaving_user), None
    return new_owner, team


def credentials_nobody_can_take(*, users) -> list[Credential]:
    """Return the credentials owned by users that no one else could take over."""
    return [
        credential
        for user in users
        for credential in Credential.objects.filter(owner=user)
        if credential_recipient(credential=credential, leaving_user=user)[0] is None
    ]


def credential_hand_over(*, credential: Credential, leaving_user, reason: str):
    """Give credential to a team admin it is shared with, else a superuser; return the new owner or None.

    None means nobody could take it: it stays with leaving_user and a warning is logged.
    """
    new_owner, team = credential_recipient(credential=credential, leaving_user=leaving_user)
    if new_owner is None:
        logger.warning(
            "Credential %s (%s) stays with %s: no team admin or superuser can take it over.",
            credential.pk, credential.provider, leaving_user.get_username(),
        )
        return None
    old_name = credential.name
    with transaction.atomic():
        credential.owner = new_owner
        credential.name = _free_name(credential, new_owner, leaving_user)
        credential.save(update_fields=["owner", "name", "updated_at"])
        details = {
            "from": leaving_user.get_username(),
            "to": new_owner.get_username(),
            "reason": reason,
            "via_team": team.name if team else None,
        }
        if credential.name != old_name:
            details["renamed_from"] = old_name
        audit_record(credential=credential, actor=None, action=AuditEvent.Action.OWNER_CHANGED, details=details)
    return new_owner


def user_hand_over_credentials(*, user, reason: str) -> list[Credential]:
    """Hand over every credential user owns; return those nobody could take (they stay with user)."""
    kept = []
    for credential in Credential.objects.filter(owner=user).order_by("created_at"):
        if credential_hand_over(credential=credential, leaving_user=user, reason=reason) is None:
            kept.append(credential)
    return kept


def connection_recipient(*, connection: Connection, leaving_user, handed_over=frozenset()):
    """Return who takes connection over when leaving_user is deleted, or None if nobody can.

    The new owner of its credential if that was leaving_user's and is among handed_over (ids);
    otherwise whoever would take the credential: a team admin it is shared with, then a superuser.
    """
    credential = connection.credential
    if credential.pk in handed_over:
        return credential.owner
    return credential_recipient(credential=credential, leaving_user=leaving_user)[0]


def connections_nobody_can_take(*, users) -> list[Connection]:
    """Return the connections owned by users that no one else could take over."""
    return [
        connection
        for user in users
        for connection in Connection.objects.filter(owner=user).select_related("credential")
        if connection_recipient(connection=connection, leaving_user=user) is None
    ]


def user_hand_over_connections(*, user, reason: str, handed_over=frozenset()) -> list[Connection]:
    """Give every data source and destination user owns to its recipient; return those nobody could take.

    handed_over holds the ids of user's credentials that have just passed on: their connections follow them.
    """
    kept = []
    connections = Connection.objects.filter(owner=user).select_related("credential__owner").order_by("created_at")
    for connection in connections:
        new_owner = connection_recipient(connection=connection, leaving_user=user, handed_over=handed_over)
        if new_owner is None:
            kept.append(connection)
            continue
        with transaction.atomic():
            connection.owner = new_owner
            connection.save(update_fields=["owner"])
            audit_record(
                credential=connection.credential, actor=None, action=AuditEvent.Action.OWNER_CHANGED,
                details={
                    "connection": connection.name,
                    "kind": connection.kind,
                    "connection_id": str(connection.pk),
                    "from": user.get_username(),
                    "to": new_owner.get_username(),
                    "reason": reason,
                },
            )
    return kept


def user_hand_over_teams(*, user) -> list[Membership]:
    """Make someone else admin of each team whose only active admin is user; return the promotions.

    The longest-standing active member is promoted, so no team is left without an admin who can sign in.
    """
    promoted = []
    with transaction.atomic():
        admin_of = Membership.objects.filter(user=user, role=Membership.Role.ADMIN).values_list("team_id", flat=True)
        for team_id in list(admin_of):
            others = (
                Membership.objects.select_for_update()
                .filter(team_id=team_id, user__is_active=True)
                .exclude(user=user)
            )
            if others.filter(role=Membership.Role.ADMIN).exists():
                continue
            successor = others.order_by("created_at", "pk").select_related("team", "user").first()
            if successor is None:
                continue
            successor.role = Membership.Role.ADMIN
            successor.save(update_fields=["role"])
            logger.info(
                "%s is now an admin of “%s” in place of %s.",
                successor.user.get_username(), successor.team, user.get_username(),
            )
            promoted.append(successor)
    return promoted


def user_delete(*, user) -> None:
    """Hand over user's credentials, connections and team admin roles, then delete user.

    Raise ProtectedError, deleting nothing, if a credential or connection could not be handed over.
    """
    with transaction.atomic():
        owned = set(Credential.objects.filter(owner=user).values_list("pk", flat=True))
        kept_credentials = user_hand_over_credentials(user=user, reason="user deleted")
        kept = user_hand_over_connections(
            user=user, reason="user deleted", handed_over=owned - {credential.pk for credential in kept_credentials}
        )
        if kept:
            names = ", ".join(connection.name for connection in kept)
            raise ProtectedError(
                f"Nobody can take over {names}: add a superuser or a team admin first.", set(kept)
            )
        user_hand_over_teams(user=user)
        user.delete()
