"""Credentials: create after a provider check, check again, replace the key, edit, disable, delete."""
import uuid

from django.core.exceptions import ValidationError
from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.db.models import ProtectedError
from django.utils import timezone
from django.views.decorators.debug import sensitive_variables

from connectors.base import KeyFormatError, Outcome, ValidationResult
from connectors.registry import get_connector
from credentials_app import crypto, events
from credentials_app.models import CreationCancel, Credential, mask_fingerprint
from credentials_app.names import clean_description, clean_name
from credentials_app.provider_check import run_check
from credentials_app.services.connections import connections_move
from credentials_app.services.permits import FailedCheck, permit_check, permit_issue
from credentials_app.throttles import check_budget_spend
from credentials_app.health import check_cause, health_move, key_replaced

KEY_MAX_LENGTH = 4096


class CheckFailed(Exception):
    """The provider check did not allow saving; nothing was stored. Carries no key.

    permit is set when the provider could not be asked: presenting it again saves the same key
    unchecked.
    """

    def __init__(self, result: ValidationResult, permit: str | None = None):
        self.result = result
        self.permit = permit
        super().__init__(result.message)

    @property
    def can_save_unverified(self) -> bool:
        return self.permit is not None

    @property
    def can_accept_restricted(self) -> bool:
        return self.result.outcome == Outcome.RESTRICTED


class CreationCancelled(Exception):
    """The user cancelled this Add Credential form's Save; nothing was stored."""

    def __init__(self):
        super().__init__("This Save was cancelled, so nothing was stored.")


class CredentialInUse(Exception):
    """A credential cannot be deleted while data sources or destinations use it."""

    def __init__(self, connections):
        self.connections = list(connections)
        names = ", ".join(f"{connection.name} ({connection.get_kind_display()})" for connection in self.connections)
        super().__init__(f"This credential is still used by: {names}. Move them to another credential first.")


# --- Input --------------------------------------------------------------------


@sensitive_variables()
def clean_key_input(connector, key: str) -> str:
    """Return key normalised for connector, or raise ValidationError on the key field."""
    if len(key or "") > KEY_MAX_LENGTH:
        raise ValidationError({"key": f"That is longer than any {connector.key_label} ({KEY_MAX_LENGTH} characters)."})
    try:
        return connector.normalize_key(key)
    except KeyFormatError as error:
        raise ValidationError({"key": str(error)}) from None


def clean_options_input(connector, options: dict) -> dict:
    """Return the provider settings, or raise ValidationError on the offending setting."""
    try:
        return connector.clean_options(options or {})
    except ValueError as error:
        field = next(
            (setting.name for setting in connector.settings if str(error).startswith(setting.label)), "options"
        )
        raise ValidationError({field: str(error)}) from None


def ensure_name_free(*, owner, provider: str, name: str, exclude_pk=None) -> None:
    """Raise ValidationError if owner already has a credential of provider called name."""
    clash = Credential.objects.filter(owner=owner, provider=provider, name__iexact=name)
    if exclude_pk is not None:
        clash = clash.exclude(pk=exclude_pk)
    if clash.exists():
        raise ValidationError(
            {"name": f"You already have a {get_connector(provider).name} credential named “{name}”. "
             "Choose another name."}
        )


def _created_with(*, owner, provider: str, creation_token) -> Credential | None:
    """Return the credential an earlier submit of this form made, refusing a token used elsewhere."""
    if creation_token is None:
        return None
    existing = Credential.objects.filter(creation_token=creation_token).first()
    if existing is not None and (existing.owner_id != owner.pk or existing.provider != provider):
        raise ValidationError(
            "This form was already used to save another credential. Close it and open Add Credential again."
        )
    return existing


def _lock_owner(owner) -> None:
    """Serialise a save and a cancel of the same owner's forms (call inside a transaction)."""
    list(get_user_model().objects.select_for_update().filter(pk=owner.pk).values_list("pk", flat=True))


def _ensure_not_cancelled(creation_token) -> None:
    if creation_token is not None and CreationCancel.objects.filter(creation_token=creation_token).exists():
        raise CreationCancelled


def status_for(result: ValidationResult, *, accept_restricted: bool = False) -> str | None:
    """Return the status to store for a new key's result, or None if it must not be stored."""
    if result.outcome == Outcome.VERIFIED:
        return Credential.Status.VERIFIED
    if result.outcome == Outcome.RESTRICTED and accept_restricted:
        return Credential.Status.RESTRICTED
    return None


# --- Create -------------------------------------------------------------------


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
    unverified_permit: str = "",
    accept_restricted: bool = False,
) -> Credential:
    """Check key with the provider, then store it encrypted and return the new credential.

    Raise ValidationError for bad input, CheckThrottled when owner's check budget is spent, and
    CheckFailed when the check does not allow saving; in each case nothing is stored. A "could
    not check" answer carries a permit: presented as
    unverified_permit with the same key and settings, it saves the key unchecked. A repeated
    creation_token returns the credential it made.
    """
    connector = get_connector(provider)
    existing = _created_with(owner=owner, provider=provider, creation_token=creation_token)
    if existing is not None:
        return existing
    _ensure_not_cancelled(creation_token)
    name = clean_name(name, field="name", what="credential")
    description = clean_description(description)
    key = clean_key_input(connector, key)
    options = clean_options_input(connector, options)
    ensure_name_free(owner=owner, provider=provider, name=name)

    permit_context = {"owner": owner, "provider": provider, "creation_token": creation_token, "key": key,
                      "options": options}
    failed = permit_check(unverified_permit, **permit_context)
    if failed is not None:
        # Saved unchecked: the credential says when the check was tried and why it could not be done.
        result = ValidationResult(Outcome.COULD_NOT_CHECK, f"Saved without checking. {failed.message}")
        status, checked_at = Credential.Status.COULD_NOT_CHECK, failed.attempted_at
    else:
        check_budget_spend(actor=owner, provider=provider)
        result = run_check(connector, key, options)
        status, checked_at = status_for(result, accept_restricted=accept_restricted), timezone.now()
        if status is None:
            permit = None
            if result.outcome == Outcome.COULD_NOT_CHECK:
                permit = permit_issue(**permit_context, failed=FailedCheck(result.message, checked_at))
            raise CheckFailed(result, permit)

    credential = Credential(
        owner=owner, provider=provider, name=name, description=description, options=options, status=status,
        status_message=result.message, last_checked_at=checked_at,
        last_check_ms=result.duration_ms, creation_token=creation_token,
    )
    credential.set_key(key)
    credential.full_clean(validate_unique=False, validate_constraints=False)
    try:
        with transaction.atomic():
            # The check took seconds: a Cancel pressed meanwhile must win over this insert.
            _lock_owner(owner)
            _ensure_not_cancelled(creation_token)
            credential.save(force_insert=True)
            events.created(credential=credential, actor=owner, result=result)
    except IntegrityError:
        # A concurrent double submit won the race: hand back what it created.
        existing = _created_with(owner=owner, provider=provider, creation_token=creation_token)
        if existing is not None:
            return existing
        ensure_name_free(owner=owner, provider=provider, name=name)
        raise
    return credential


def credential_creation_cancel(*, owner, creation_token: uuid.UUID) -> bool:
    """Cancel the Save of the Add Credential form creation_token; return True if one was undone.

    The token can never save afterwards. If its Save already stored a credential that nothing
    uses yet, that credential is deleted (audited), so a cancelled Save leaves nothing behind.
    """
    with transaction.atomic():
        _lock_owner(owner)
        CreationCancel.objects.get_or_create(creation_token=creation_token, defaults={"owner": owner})
        credential = Credential.objects.filter(creation_token=creation_token, owner=owner).first()
        if credential is None or credential.connections.exists():
            return False
        events.creation_cancelled(credential=credential, actor=owner)
        credential.delete()
    return True


# --- Check again ----------------------------------------------------------------


VERDICTS = {
    Outcome.VERIFIED: Credential.Status.VERIFIED,
    Outcome.RESTRICTED: Credential.Status.RESTRICTED,
    Outcome.REJECTED: Credential.Status.REJECTED,
}


def status_after_check(current: str, result: ValidationResult) -> str:
    """Return the status a re-check leaves: a key that could not be checked keeps its last one."""
    return VERDICTS.get(result.outcome, current)


@sensitive_variables()
def credential_resealed_secret(credential: Credential, key: str) -> str | None:
    """Return key sealed under the primary master key if credential's secret is under an old one."""
    return crypto.encrypt(key, associated_data=credential.associated_data) if crypto.must_update(credential.secret) else None


@sensitive_variables()
def credential_check(*, credential: Credential, actor) -> ValidationResult:
    """Check credential's stored key again, store the outcome and return it.

    Raise CheckThrottled, checking nothing, when actor's check budget is spent.
    """
    check_budget_spend(actor=actor, provider=credential.provider, credential=credential)
    checked_secret = credential.secret
    resealed = None
    try:
        key = credential.decrypt_key()
    except crypto.SecretUnavailable as error:
        return credential_note_undecryptable(credential=credential, error=error, actor=actor)
    result = run_check(credential.connector, key, credential.options)
    resealed = credential_resealed_secret(credential, key)
    stored = credential_record_check(
        credential=credential, result=result, actor=actor, checked_secret=checked_secret, resealed_secret=resealed
    )
    if not stored:
        return ValidationResult(
            Outcome.COULD_NOT_CHECK,
            "The key was replaced or the credential changed while it was being checked, so this result "
            "was not stored. Check again.",
        )
    return result


def credential_note_undecryptable(*, credential: Credential, error: crypto.SecretUnavailable, actor) -> ValidationResult:
    """Mark credential "Can't decrypt" after its secret failed to open; return that as a check result.

    It then needs attention and is offered as no tile, until its key is replaced or the master key
    put back and it is checked again. Recorded once, not on every attempt.
    """
    result = ValidationResult(Outcome.COULD_NOT_CHECK, str(error))
    if credential.status != Credential.Status.CANT_DECRYPT:
        credential_record_check(
            credential=credential, result=result, actor=actor, checked_secret=credential.secret, undecryptable=True,
            cause=str(error),
        )
    return result


def credential_record_check(
    *, credential: Credential, result: ValidationResult, actor, checked_secret: str, resealed_secret: str | None = None,
    undecryptable: bool = False, unreachable: bool = False, cause: str = "",
) -> bool:
    """Store a re-check's outcome and a CHECKED event; return False if nothing was stored.

    The outcome is stored only while the credential still holds the secret that was checked: a
    key replaced (or re-encrypted) during the check must not inherit the old key's verdict, and a
    credential deleted meanwhile is skipped. A secret sealed under an old master key is re-sealed
    under the primary one in the same compare-and-swap write. unreachable moves the status to
    Could not check (the watch, after its retries failed). A status that moves is a health move
    (watch.health), recorded with cause (by default who checked and what the provider said).
    """
    now = timezone.now()
    fields = {"status_message": result.message, "last_checked_at": now, "last_check_ms": result.duration_ms}
    if result.outcome != Outcome.COULD_NOT_CHECK:
        # Only a verdict changes the status; a failed check must not write back a status read earlier.
        fields["status"] = status_after_check(credential.status, result)
    if unreachable:
        fields["status"] = Credential.Status.COULD_NOT_CHECK
    if undecryptable:
        fields["status"] = Credential.Status.CANT_DECRYPT
    if resealed_secret:
        fields.update(secret=resealed_secret, key_id=crypto.key_id_of(resealed_secret))
    with transaction.atomic():
        # Locked, so the status moved from is the one this write replaces.
        old_status = (
            Credential.objects.select_for_update().filter(pk=credential.pk, secret=checked_secret)
            .values_list("status", flat=True).first()
        )
        if old_status is None:
            return False
        Credential.objects.filter(pk=credential.pk).update(updated_at=now, **fields)
        for name, value in fields.items():
            setattr(credential, name, value)
        credential.status = fields.get("status", old_status)
        events.checked(credential=credential, actor=actor, result=result)
        health_move(
            credential=credential, old=old_status, new=credential.status,
            cause=cause or check_cause(actor=actor, result=result), at=now, actor=actor,
        )
    return True


# --- Replace the key -------------------------------------------------------------


@sensitive_variables()
def credential_check_new_key(
    *, credential: Credential, key: str, actor, options: dict | None = None
) -> tuple[str, ValidationResult]:
    """Return the normalised new key and its verified check, or raise ValidationError or CheckFailed.

    The key is checked with options, by default the credential's settings. A refused key is
    recorded in the history (who tried, the new key's fingerprint, what the provider said); the
    stored key is unchanged.
    """
    connector = credential.connector
    key = clean_key_input(connector, key)
    check_budget_spend(actor=actor, provider=credential.provider, credential=credential)
    result = run_check(connector, key, credential.options if options is None else options)
    if result.outcome != Outcome.VERIFIED:
        events.key_refused(credential=credential, actor=actor, new_fingerprint=mask_fingerprint(key), result=result)
        raise CheckFailed(result)
    return key, result


@sensitive_variables()
def credential_store_key(*, credential: Credential, key: str, result: ValidationResult, actor) -> None:
    """Replace credential's key with an already verified one; the old ciphertext is overwritten."""
    old_fingerprint = credential.masked_fingerprint
    with transaction.atomic():
        old_status = Credential.objects.select_for_update().values_list("status", flat=True).get(pk=credential.pk)
        credential.set_key(key)
        credential.status = Credential.Status.VERIFIED
        credential.status_message = result.message
        credential.last_checked_at = timezone.now()
        credential.last_check_ms = result.duration_ms
        credential.save(
            update_fields=[
                "secret", "key_id", "fingerprint", "key_expires_at", "status", "status_message",
                "last_checked_at", "last_check_ms", "updated_at",
            ]
        )
        events.key_replaced(credential=credential, actor=actor, old_fingerprint=old_fingerprint)
        actor_name = actor.get_username() if actor is not None and actor.is_authenticated else events.SYSTEM
        health_move(
            credential=credential, old=old_status, new=credential.status,
            cause=f"Key replaced by {actor_name} and verified: {result.message}", at=credential.last_checked_at,
            actor=actor,
        )
        key_replaced.send(
            sender=Credential, credential=credential, actor_name=actor_name, at=credential.last_checked_at
        )


@sensitive_variables()
def credential_replace_key(*, credential: Credential, key: str, actor) -> ValidationResult:
    """Check key first; only a verified key replaces the stored one. On failure nothing changes."""
    key, result = credential_check_new_key(credential=credential, key=key, actor=actor)
    credential_store_key(credential=credential, key=key, result=result, actor=actor)
    return result


# --- Edit, disable, delete ---------------------------------------------------------


@sensitive_variables()
def _check_stored_key_with(credential: Credential, options: dict, *, actor) -> ValidationResult:
    """Return the verified check of credential's stored key under new settings, or raise CheckFailed."""
    check_budget_spend(actor=actor, provider=credential.provider, credential=credential)
    try:
        key = credential.decrypt_key()
    except crypto.SecretUnavailable as error:
        raise CheckFailed(credential_note_undecryptable(credential=credential, error=error, actor=actor)) from None
    result = run_check(credential.connector, key, options)
    if result.outcome != Outcome.VERIFIED:
        raise CheckFailed(result)
    return result


@sensitive_variables()
def credential_edit(
    *, credential: Credential, actor, name: str, description: str, options: dict, key: str | None = None
) -> ValidationResult | None:
    """Apply the edit dialog in one step; return the provider check it needed, or None.

    A new key or changed settings are checked first (the new key, or else the stored key, with
    the new settings) and saved only if verified; a name or description alone saves without a
    check. Raise ValidationError or CheckFailed, and change nothing, when something is refused.
    """
    connector = credential.connector
    name = clean_name(name, field="name", what="credential")
    description = clean_description(description)
    options = clean_options_input(connector, options)
    ensure_name_free(owner=credential.owner, provider=credential.provider, name=name, exclude_pk=credential.pk)
    settings_changed = options != credential.settings_values()
    checked_secret = credential.secret
    result = None
    if key:
        key, result = credential_check_new_key(credential=credential, key=key, actor=actor, options=options)
    elif settings_changed:
        result = _check_stored_key_with(credential, options, actor=actor)

    with transaction.atomic():
        credential_rename(credential=credential, name=name, actor=actor)
        credential_edit_description(credential=credential, description=description, actor=actor)
        if settings_changed:
            old_options = credential.options
            _change(
                credential, actor=actor, options=options,
                record=lambda **who: events.settings_changed(old_options=old_options, **who),
            )
        if key:
            credential_store_key(credential=credential, key=key, result=result, actor=actor)
        elif settings_changed and not credential_record_check(
            credential=credential, result=result, actor=actor, checked_secret=checked_secret
        ):
            raise CheckFailed(
                ValidationResult(
                    Outcome.COULD_NOT_CHECK,
                    "The key was replaced while the new settings were being checked, so nothing was changed. "
                    "Try again.",
                )
            )
    return result


def _change(credential: Credential, *, record, actor, **fields) -> None:
    """Set fields on credential, save just those, and record(credential=..., actor=...), in one transaction."""
    with transaction.atomic():
        for name, value in fields.items():
            setattr(credential, name, value)
        credential.save(update_fields=[*fields, "updated_at"])
        record(credential=credential, actor=actor)


def credential_rename(*, credential: Credential, name: str, actor) -> None:
    """Rename credential; raise ValidationError if the name is unusable or its owner already uses it."""
    name = clean_name(name, field="name", what="credential")
    old_name = credential.name
    if name == old_name:
        return
    ensure_name_free(owner=credential.owner, provider=credential.provider, name=name, exclude_pk=credential.pk)
    try:
        _change(
            credential, actor=actor, name=name,
            record=lambda **who: events.renamed(old_name=old_name, **who),
        )
    except IntegrityError:
        # Someone took the name between the check and the save.
        credential.name = old_name
        ensure_name_free(owner=credential.owner, provider=credential.provider, name=name, exclude_pk=credential.pk)
        raise


def credential_edit_description(*, credential: Credential, description: str, actor) -> None:
    """Replace credential's description and record the old and new text."""
    description = clean_description(description)
    old_description = credential.description
    if description == old_description:
        return
    _change(
        credential, actor=actor, description=description,
        record=lambda **who: events.description_edited(old_description=old_description, **who),
    )


def credential_disable(*, credential: Credential, actor) -> None:
    """Hide credential from selection, keeping it and what uses it."""
    if not credential.is_disabled:
        _change(credential, actor=actor, disabled_at=timezone.now(), record=events.disabled)


def credential_enable(*, credential: Credential, actor) -> None:
    """Offer a disabled credential for selection again."""
    if credential.is_disabled:
        _change(credential, actor=actor, disabled_at=None, record=events.enabled)


def ensure_not_in_use(credential: Credential) -> None:
    """Raise CredentialInUse while data sources or destinations use credential."""
    in_use = list(credential.connections.order_by("name"))
    if in_use:
        raise CredentialInUse(in_use)


def credential_delete(*, credential: Credential, actor, replacement: Credential | None = None) -> None:
    """Delete credential; with replacement, first move what uses it there, all in one step.

    Raise CredentialInUse, and delete nothing, while connections still use it.
    """
    with transaction.atomic():
        moved = connections_move(source=credential, target=replacement, actor=actor) if replacement else []
        ensure_not_in_use(credential)
        events.deleted(credential=credential, actor=actor, moved_to=replacement if moved else None, moved=moved)
        try:
            credential.delete()
        except ProtectedError:
            # A data source was added since the check above; the whole step is undone.
            raise CredentialInUse(credential.connections.order_by("name")) from None
