"""The business of credentials and connections: create, check, use. Views call these."""
import json
import uuid
from dataclasses import dataclass

from django.core import signing
from django.utils.crypto import salted_hmac
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import ProtectedError
from django.utils import timezone
from django.views.decorators.debug import sensitive_variables

from connectors.base import KeyFormatError, Outcome, ValidationResult
from connectors.registry import get_connector
from credentials_app.access import credentials_usable_by
from credentials_app.audit import audit_record
from credentials_app.checking import run_check
from credentials_app.models import AuditEvent, Connection, Credential, mask_fingerprint


class CheckFailed(Exception):
    """The provider check did not allow saving; nothing was stored. Carries no key."""

    def __init__(self, result: ValidationResult):
        self.result = result
        super().__init__(result.message)

    @property
    def can_save_unverified(self) -> bool:
        return self.result.outcome == Outcome.COULD_NOT_CHECK

    @property
    def can_accept_restricted(self) -> bool:
        return self.result.outcome == Outcome.RESTRICTED


@dataclass(frozen=True)
class Acceptance:
    """What the user agreed to after a first attempt: keep an unchecked or a restricted key."""

    save_unverified: bool = False
    accept_restricted: bool = False


_PERMIT_SALT = "credentials.save-unverified"
_PERMIT_MAX_AGE = 3600


def _permit_payload(*, owner, provider: str, creation_token, key: str, options: dict) -> list:
    # A keyed digest binds the permit to the key and settings that could not be checked, without
    # putting the key itself, or anything that reveals it, into the permit.
    connector = get_connector(provider)
    try:
        material = json.dumps([connector.normalize_key(key), connector.clean_options(options)], sort_keys=True)
    except (KeyFormatError, ValueError):
        material = ""
    digest = salted_hmac(_PERMIT_SALT, material, algorithm="sha256").hexdigest()
    return [owner.pk, provider, str(creation_token), digest]


@sensitive_variables()
def unverified_save_permit(*, owner, provider: str, creation_token, key: str, options: dict) -> str:
    """Return a signed permit to save this overlay's key, with these settings, unchecked.

    It is handed out only with a "could not check" answer, so "Save without checking" cannot be
    used to store a key the provider rejected, nor a different key typed afterwards.
    """
    payload = _permit_payload(owner=owner, provider=provider, creation_token=creation_token, key=key, options=options)
    return signing.dumps(payload, salt=_PERMIT_SALT)


@sensitive_variables()
def unverified_save_permitted(permit: str, *, owner, provider: str, creation_token, key: str, options: dict) -> bool:
    """Return True if permit was issued within the hour for exactly this owner, overlay, key and settings."""
    if not permit:
        return False
    try:
        payload = signing.loads(permit, salt=_PERMIT_SALT, max_age=_PERMIT_MAX_AGE)
    except signing.BadSignature:
        return False
    return payload == _permit_payload(
        owner=owner, provider=provider, creation_token=creation_token, key=key, options=options
    )


def status_for(result: ValidationResult, acceptance: Acceptance = Acceptance()) -> str | None:
    """Return the status to store for result, or None if it must not be stored."""
    if result.outcome == Outcome.VERIFIED:
        return Credential.Status.VERIFIED
    if result.outcome == Outcome.RESTRICTED and acceptance.accept_restricted:
        return Credential.Status.VERIFIED
    return None


@sensitive_variables()
def clean_key_input(connector, key: str) -> str:
    """Return key normalised for connector, or raise ValidationError on the key field."""
    try:
        return connector.normalize_key(key)
    except KeyFormatError as error:
        raise ValidationError({"key": str(error)}) from None


def clean_options_input(connector, options: dict) -> dict:
    try:
        return connector.clean_options(options)
    except ValueError as error:
        raise ValidationError({"options": str(error)}) from None


def ensure_name_free(*, owner, provider: str, name: str, exclude_pk=None) -> None:
    """Raise ValidationError if owner already has a credential of provider called name."""
    clash = Credential.objects.filter(owner=owner, provider=provider, name__iexact=name.strip())
    if exclude_pk is not None:
        clash = clash.exclude(pk=exclude_pk)
    if clash.exists():
        raise ValidationError(
            {"name": f"You already have a {get_connector(provider).name} credential named “{name.strip()}”. "
             "Choose another name."}
        )


@sensitive_variables()
def credential_create(
    *,
    owner,
    provider: str,
    name: str,
    description: str = "",
    key: str,
    options: dict | None = None,
    creation_token: uuid.UUID | None = None,
    acceptance: Acceptance = Acceptance(),
) -> Credential:
    """Check key with the provider, then store it encrypted and return the new credential.

    Raise ValidationError for bad input and CheckFailed when the check does not allow saving;
    in both cases nothing is stored. A repeated creation_token returns the credential it made.
    """
    connector = get_connector(provider)
    if creation_token is not None:
        existing = Credential.objects.filter(owner=owner, creation_token=creation_token).first()
        if existing is not None:
            return existing
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": "Enter a name for this credential."})
    key = clean_key_input(connector, key)
    options = clean_options_input(connector, options or {})
    ensure_name_free(owner=owner, provider=provider, name=name)

    if acceptance.save_unverified:
        result = ValidationResult(Outcome.COULD_NOT_CHECK, "Saved without checking.")
        status = Credential.Status.NOT_VERIFIED
    else:
        result = run_check(connector, key, options)
        status = status_for(result, acceptance)
        if status is None:
            raise CheckFailed(result)

    credential = Credential(
        owner=owner,
        provider=provider,
        name=name,
        description=(description or "").strip(),
        options=options,
        status=status,
        status_message=result.message,
        last_checked_at=None if acceptance.save_unverified else timezone.now(),
        last_check_ms=result.duration_ms,
        creation_token=creation_token,
    )
    credential.set_key(key)
    try:
        with transaction.atomic():
            credential.save(force_insert=True)
            audit_record(
                credential=credential,
                actor=owner,
                action=AuditEvent.Action.CREATED,
                details={
                    "provider": provider,
                    "settings": options,
                    "status": status,
                    "outcome": str(result.outcome),
                    "fingerprint": credential.masked_fingerprint,
                },
            )
    except IntegrityError:
        # A concurrent double submit won the race: hand back what it created.
        if creation_token is not None:
            existing = Credential.objects.filter(owner=owner, creation_token=creation_token).first()
            if existing is not None:
                return existing
        ensure_name_free(owner=owner, provider=provider, name=name)
        raise
    return credential


@sensitive_variables()
def credential_check(*, credential: Credential, actor) -> ValidationResult:
    """Check credential's stored key again, store the outcome and return it."""
    from credentials_app.crypto import SecretUnavailable

    checked_secret = credential.secret
    try:
        key = credential.decrypt_key()
    except SecretUnavailable as error:
        result = ValidationResult(Outcome.COULD_NOT_CHECK, str(error))
    else:
        result = run_check(credential.connector, key, credential.options)
    if not credential_record_check(credential=credential, result=result, actor=actor, checked_secret=checked_secret):
        return ValidationResult(
            Outcome.COULD_NOT_CHECK,
            "The key was replaced or the credential changed while it was being checked, so this result "
            "was not stored. Check again.",
        )
    return result


def status_after_check(current: str, result: ValidationResult) -> str:
    """Return the status a re-check leaves: a key that could not be checked keeps its last one."""
    if result.outcome in (Outcome.VERIFIED, Outcome.RESTRICTED):
        return Credential.Status.VERIFIED
    if result.outcome == Outcome.REJECTED:
        return Credential.Status.REJECTED
    return current


def credential_record_check(*, credential: Credential, result: ValidationResult, actor, checked_secret: str) -> bool:
    """Store a re-check's outcome and a CHECKED event; return False if nothing was stored.

    The outcome is stored only while the credential still holds the secret that was checked: a
    key replaced (or re-encrypted) during the check must not inherit the old key's verdict, and a
    credential deleted meanwhile is skipped.
    """
    now = timezone.now()
    fields = {"status_message": result.message, "last_checked_at": now, "last_check_ms": result.duration_ms}
    if result.outcome != Outcome.COULD_NOT_CHECK:
        # Only a verdict changes the status; a failed check must not write back a status read earlier.
        fields["status"] = status_after_check(credential.status, result)
    with transaction.atomic():
        stored = Credential.objects.filter(pk=credential.pk, secret=checked_secret).update(updated_at=now, **fields)
        if not stored:
            return False
        for name, value in fields.items():
            setattr(credential, name, value)
        if "status" not in fields:
            credential.status = Credential.objects.values_list("status", flat=True).get(pk=credential.pk)
        audit_record(
            credential=credential,
            actor=actor,
            action=AuditEvent.Action.CHECKED,
            details={"outcome": str(result.outcome), "status": credential.status, "message": result.message},
        )
    return True


def connection_create(
    *, owner, kind: str, provider: str, name: str, credential: Credential, creation_token: uuid.UUID | None = None
) -> Connection:
    """Create a data source or destination of provider that uses credential.

    A repeated creation_token returns the connection it made instead of a second one.
    """
    if creation_token is not None:
        existing = Connection.objects.filter(owner=owner, creation_token=creation_token).first()
        if existing is not None:
            return existing
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": f"Enter a name for the {Connection.Kind(kind).label.lower()}."})
    if credential.provider != provider:
        raise ValidationError({"credential": "That credential belongs to another provider."})
    if kind not in get_connector(provider).kinds:
        raise ValidationError({"kind": f"{get_connector(provider).name} cannot be a {kind}."})
    if credential.is_disabled:
        raise ValidationError({"credential": "That credential is disabled. Choose another one."})
    try:
        with transaction.atomic():
            connection = Connection.objects.create(
                owner=owner, kind=kind, provider=provider, name=name, credential=credential,
                creation_token=creation_token,
            )
            _record_use(connection, owner)
    except IntegrityError:
        # A concurrent double submit with the same token won the race: hand back its connection.
        existing = Connection.objects.filter(owner=owner, creation_token=creation_token).first()
        if creation_token is None or existing is None:
            raise
        return existing
    return connection


def _record_use(connection: Connection, owner) -> None:
    audit_record(
        credential=connection.credential,
        actor=owner,
        action=AuditEvent.Action.USED,
        details={"connection": connection.name, "kind": connection.kind, "connection_id": str(connection.pk)},
    )


@sensitive_variables()
def credential_check_new_key(*, credential: Credential, key: str) -> tuple[str, ValidationResult]:
    """Return the normalised new key and its check; raise ValidationError or CheckFailed if unusable."""
    connector = credential.connector
    key = clean_key_input(connector, key)
    result = run_check(connector, key, credential.options)
    if result.outcome != Outcome.VERIFIED:
        raise CheckFailed(result)
    return key, result


@sensitive_variables()
def credential_store_key(*, credential: Credential, key: str, result: ValidationResult, actor) -> None:
    """Replace credential's key with an already verified one; the old ciphertext is overwritten."""
    old_fingerprint = credential.masked_fingerprint
    with transaction.atomic():
        credential.set_key(key)
        credential.status = Credential.Status.VERIFIED
        credential.status_message = result.message
        credential.last_checked_at = timezone.now()
        credential.last_check_ms = result.duration_ms
        credential.save(
            update_fields=[
                "secret", "key_id", "fingerprint", "status", "status_message",
                "last_checked_at", "last_check_ms", "updated_at",
            ]
        )
        audit_record(
            credential=credential,
            actor=actor,
            action=AuditEvent.Action.KEY_REPLACED,
            details={"old_fingerprint": old_fingerprint, "new_fingerprint": credential.masked_fingerprint},
        )


@sensitive_variables()
def credential_replace_key(*, credential: Credential, key: str, actor) -> ValidationResult:
    """Check key first; only a verified key replaces the stored one. On failure nothing changes.

    A refused attempt is still recorded, with the new key's fingerprint, so the history shows who
    tried to change the key and what the provider said.
    """
    try:
        key, result = credential_check_new_key(credential=credential, key=key)
    except CheckFailed as failure:
        audit_record(
            credential=credential,
            actor=actor,
            action=AuditEvent.Action.CHECKED,
            details={
                "attempt": "replace key (not replaced)",
                "new_fingerprint": mask_fingerprint(key.strip()),
                "outcome": str(failure.result.outcome),
                "message": failure.result.message,
            },
        )
        raise
    credential_store_key(credential=credential, key=key, result=result, actor=actor)
    return result


# --- Credentials management (issue 5) ---


class CredentialInUse(Exception):
    """A credential cannot be deleted while data sources or destinations use it."""

    def __init__(self, connections: list[Connection]):
        self.connections = connections
        names = ", ".join(f"{connection.name} ({connection.get_kind_display()})" for connection in connections)
        super().__init__(f"This credential is still used by: {names}. Move them to another credential first.")


def _change(credential: Credential, *, actor, action: str, details: dict | None = None, **fields) -> None:
    """Set fields on credential, save just those, and record action, in one transaction."""
    with transaction.atomic():
        for name, value in fields.items():
            setattr(credential, name, value)
        credential.save(update_fields=[*fields, "updated_at"])
        audit_record(credential=credential, actor=actor, action=action, details=details)


def credential_rename(*, credential: Credential, name: str, actor) -> None:
    """Rename credential; raise ValidationError if the name is empty or its owner already uses it."""
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": "Enter a name for this credential."})
    old_name = credential.name
    if name == old_name:
        return
    ensure_name_free(owner=credential.owner, provider=credential.provider, name=name, exclude_pk=credential.pk)
    try:
        _change(
            credential, actor=actor, action=AuditEvent.Action.RENAMED,
            details={"old_name": old_name, "new_name": name}, name=name,
        )
    except IntegrityError:
        # Someone took the name between the check and the save.
        credential.name = old_name
        ensure_name_free(owner=credential.owner, provider=credential.provider, name=name, exclude_pk=credential.pk)
        raise


def credential_edit_description(*, credential: Credential, description: str, actor) -> None:
    """Replace credential's description and record the old and new text."""
    description = (description or "").strip()
    if len(description) > 500:
        raise ValidationError({"description": "Keep the description under 500 characters."})
    old_description = credential.description
    if description == old_description:
        return
    _change(
        credential, actor=actor, action=AuditEvent.Action.DESCRIPTION_EDITED,
        details={"old_description": old_description, "new_description": description}, description=description,
    )


def credential_disable(*, credential: Credential, actor) -> None:
    """Hide credential from selection, keeping it and what uses it."""
    if not credential.is_disabled:
        _change(credential, actor=actor, action=AuditEvent.Action.DISABLED, disabled_at=timezone.now())


def credential_enable(*, credential: Credential, actor) -> None:
    """Offer a disabled credential for selection again."""
    if credential.is_disabled:
        _change(credential, actor=actor, action=AuditEvent.Action.ENABLED, disabled_at=None)


def connections_move(*, source: Credential, target: Credential, actor) -> list[Connection]:
    """Point every connection using source at target (same provider, enabled); return them."""
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
            audit_record(
                credential=target,
                actor=actor,
                action=AuditEvent.Action.USED,
                details={
                    "connection": connection.name,
                    "kind": connection.kind,
                    "connection_id": str(connection.pk),
                    "moved_from": source.name,
                },
            )
    return connections


def credential_delete(*, credential: Credential, actor, replacement: Credential | None = None) -> None:
    """Delete credential; with replacement, first move what uses it there, all in one step.

    Raise CredentialInUse, and delete nothing, while connections still use it.
    """
    with transaction.atomic():
        moved = connections_move(source=credential, target=replacement, actor=actor) if replacement else []
        in_use = list(credential.connections.order_by("name"))
        if in_use:
            raise CredentialInUse(in_use)
        details = {"fingerprint": credential.masked_fingerprint}
        if moved:
            details["moved_to"] = replacement.name
            details["connections_moved"] = [connection.name for connection in moved]
        audit_record(credential=credential, actor=actor, action=AuditEvent.Action.DELETED, details=details)
        try:
            credential.delete()
        except ProtectedError:
            # A data source was added since the check above; the whole step is undone.
            raise CredentialInUse(list(credential.connections.order_by("name"))) from None
