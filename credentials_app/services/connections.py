"""Data sources and destinations: build one on a credential, rename it, move it to another credential, delete it."""
import uuid

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from connectors.registry import get_connector
from credentials_app import events
from credentials_app.access import credentials_usable_by
from credentials_app.models import Connection, Credential
from credentials_app.names import clean_name


def _created_with(*, owner, creation_token) -> Connection | None:
    """Return the connection an earlier submit of this form made, refusing a token used by someone else."""
    if creation_token is None:
        return None
    existing = Connection.objects.filter(creation_token=creation_token).first()
    if existing is not None and existing.owner_id != owner.pk:
        raise ValidationError("This form was already used. Go back and start again.")
    return existing


def ensure_usable_by_owner(*, connection_owner, provider: str, credential: Credential) -> None:
    """Raise ValidationError on "credential" unless it is an enabled provider credential the owner may use."""
    if credential.provider != provider:
        raise ValidationError({"credential": "That credential belongs to another provider."})
    if credential.is_disabled:
        raise ValidationError({"credential": "That credential is disabled. Choose another one."})
    if credential.status == Credential.Status.CANT_DECRYPT:
        raise ValidationError({"credential": "That credential's key can't be decrypted. Choose another one."})
    if not credentials_usable_by(connection_owner).filter(pk=credential.pk).exists():
        raise ValidationError({"credential": "That credential is not shared with you. Choose another one."})


def connection_create(
    *, owner, kind: str, provider: str, name: str, credential: Credential, creation_token: uuid.UUID | None = None
) -> Connection:
    """Create a data source or destination of provider that uses credential.

    A repeated creation_token returns the connection it made instead of a second one.
    """
    existing = _created_with(owner=owner, creation_token=creation_token)
    if existing is not None:
        return existing
    connector = get_connector(provider)
    if kind not in connector.kinds:
        raise ValidationError({"kind": f"{connector.name} cannot be a {kind}."})
    name = clean_name(name, field="name", what=Connection.Kind(kind).label.lower())
    ensure_usable_by_owner(connection_owner=owner, provider=provider, credential=credential)
    try:
        with transaction.atomic():
            connection = Connection.objects.create(
                owner=owner, kind=kind, provider=provider, name=name, credential=credential,
                creation_token=creation_token,
            )
            events.used(connection=connection, actor=owner)
    except IntegrityError:
        # A concurrent double submit with the same token won the race: hand back its connection.
        existing = _created_with(owner=owner, creation_token=creation_token)
        if existing is None:
            raise
        return existing
    return connection


def connections_move(*, source: Credential, target: Credential, actor) -> list[Connection]:
    """Point every connection using source at target (same provider, enabled, usable by each owner)."""
    if target.pk == source.pk:
        raise ValidationError({"replacement": "Choose another credential than the one you are deleting."})
    if target.provider != source.provider:
        raise ValidationError({"replacement": "Choose a credential of the same provider."})
    if target.is_disabled:
        raise ValidationError({"replacement": f"“{target.name}” is disabled. Choose another credential."})
    with transaction.atomic():
        connections = list(source.connections.select_for_update().select_related("owner").order_by("name"))
        for connection in connections:
            if not credentials_usable_by(connection.owner).filter(pk=target.pk).exists():
                raise ValidationError(
                    {"replacement": f"“{target.name}” is not shared with {connection.owner.get_username()}, who "
                     f"owns “{connection.name}”. Choose a credential they can use."}
                )
        Connection.objects.filter(pk__in=[connection.pk for connection in connections]).update(credential=target)
        for connection in connections:
            connection.credential = target
            events.used(connection=connection, actor=actor, moved_from=source)
    return connections


def connection_rename(*, connection: Connection, name: str, actor) -> None:
    """Rename a data source or destination, recorded in its credential's history."""
    name = clean_name(name, field="name", what=connection.get_kind_display().lower())
    old_name = connection.name
    if name == old_name:
        return
    with transaction.atomic():
        connection.name = name
        connection.save(update_fields=["name"])
        events.connection_renamed(connection=connection, actor=actor, old_name=old_name)


def connection_change_credential(*, connection: Connection, credential: Credential, actor) -> None:
    """Point connection at another enabled credential of its provider that its owner may use."""
    if credential.pk == connection.credential_id:
        raise ValidationError({"credential": "It already uses that credential. Choose another one."})
    ensure_usable_by_owner(connection_owner=connection.owner, provider=connection.provider, credential=credential)
    with transaction.atomic():
        previous = connection.credential
        connection.credential = credential
        connection.save(update_fields=["credential"])
        events.released(connection=connection, credential=previous, actor=actor, moved_to=credential)
        events.used(connection=connection, actor=actor, moved_from=previous)


def connection_delete(*, connection: Connection, actor) -> None:
    """Delete a data source or destination; its credential's history keeps that it was used."""
    with transaction.atomic():
        events.released(connection=connection, credential=connection.credential, actor=actor)
        connection.delete()
