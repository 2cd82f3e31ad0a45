"""When a user leaves: hand their credentials, data sources and sole-admin roles to people who can sign in."""
import logging

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import ProtectedError

from credentials_app import events
from credentials_app.models import Connection, Credential, Membership

logger = logging.getLogger(__name__)


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
        events.owner_changed(
            credential=credential, from_user=leaving_user, reason=reason, via_team=team,
            renamed_from=old_name if credential.name != old_name else None,
        )
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
            events.connection_owner_changed(connection=connection, from_user=user, reason=reason)
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
