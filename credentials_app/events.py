"""The audit vocabulary: one builder per action records an event, one formatter per action reads it.

Details hold names, settings, outcomes and fingerprints only, never a secret. Builders are the
only code that writes AuditEvent rows, so every event of one action has the same details.
"""
from connectors.base import Outcome, ValidationResult
from credentials_app.models import AuditEvent, Connection, Credential, CredentialShare

Action = AuditEvent.Action
SYSTEM = "system"
ALL_CREDENTIALS = "(all credentials)"


def _record(*, credential: Credential, actor, action: str, **details) -> AuditEvent:
    signed_in = actor is not None and actor.is_authenticated
    return AuditEvent.objects.create(
        credential=credential,
        credential_name=credential.name,
        provider=credential.provider,
        actor=actor if signed_in else None,
        actor_name=actor.get_username() if signed_in else SYSTEM,
        action=action,
        details={name: value for name, value in details.items() if value is not None},
    )


# --- Builders ---------------------------------------------------------------


def created(*, credential: Credential, actor, result: ValidationResult) -> AuditEvent:
    return _record(
        credential=credential, actor=actor, action=Action.CREATED, provider=credential.provider,
        settings=credential.options, status=credential.status, outcome=str(result.outcome),
        fingerprint=credential.masked_fingerprint,
    )


def checked(*, credential: Credential, actor, result: ValidationResult) -> AuditEvent:
    return _record(
        credential=credential, actor=actor, action=Action.CHECKED,
        outcome=str(result.outcome), status=credential.status, message=result.message,
    )


def key_refused(*, credential: Credential, actor, new_fingerprint: str, result: ValidationResult) -> AuditEvent:
    """Record a "Replace key" attempt the provider check refused; the stored key is unchanged."""
    return _record(
        credential=credential, actor=actor, action=Action.CHECKED, attempt="replace key (not replaced)",
        new_fingerprint=new_fingerprint, outcome=str(result.outcome), message=result.message,
    )


def key_replaced(*, credential: Credential, actor, old_fingerprint: str) -> AuditEvent:
    return _record(
        credential=credential, actor=actor, action=Action.KEY_REPLACED,
        old_fingerprint=old_fingerprint, new_fingerprint=credential.masked_fingerprint,
    )


def _settings_in_words(credential: Credential, options: dict) -> str:
    """Return options as "Label: chosen label" pairs, e.g. "Base URL: Staging"."""
    return ", ".join(
        f"{setting.label}: {setting.label_for(options.get(setting.name, setting.default))}"
        for setting in credential.connector.settings
    )


def settings_changed(*, credential: Credential, actor, old_options: dict) -> AuditEvent:
    return _record(
        credential=credential, actor=actor, action=Action.SETTINGS_CHANGED,
        old_settings=_settings_in_words(credential, old_options),
        new_settings=_settings_in_words(credential, credential.options),
    )


def renamed(*, credential: Credential, actor, old_name: str) -> AuditEvent:
    return _record(credential=credential, actor=actor, action=Action.RENAMED, old_name=old_name, new_name=credential.name)


def description_edited(*, credential: Credential, actor, old_description: str) -> AuditEvent:
    return _record(
        credential=credential, actor=actor, action=Action.DESCRIPTION_EDITED,
        old_description=old_description, new_description=credential.description,
    )


def disabled(*, credential: Credential, actor) -> AuditEvent:
    return _record(credential=credential, actor=actor, action=Action.DISABLED)


def enabled(*, credential: Credential, actor) -> AuditEvent:
    return _record(credential=credential, actor=actor, action=Action.ENABLED)


def deleted(*, credential: Credential, actor, moved_to: Credential | None = None, moved=()) -> AuditEvent:
    return _record(
        credential=credential, actor=actor, action=Action.DELETED, fingerprint=credential.masked_fingerprint,
        moved_to=moved_to.name if moved_to else None,
        connections_moved=[connection.name for connection in moved] or None,
    )


def shared(*, share: CredentialShare, actor, previous_level: str | None = None) -> AuditEvent:
    return _record(
        credential=share.credential, actor=actor, action=Action.SHARED,
        team=share.team.name, team_id=str(share.team_id), level=share.level, previous_level=previous_level,
    )


def unshared(*, share: CredentialShare, actor) -> AuditEvent:
    return _record(
        credential=share.credential, actor=actor, action=Action.UNSHARED,
        team=share.team.name, team_id=str(share.team_id), level=share.level,
    )


def used(*, connection: Connection, actor, moved_from: Credential | None = None) -> AuditEvent:
    return _record(
        credential=connection.credential, actor=actor, action=Action.USED,
        connection=connection.name, kind=connection.kind, connection_id=str(connection.pk),
        moved_from=moved_from.name if moved_from else None,
    )


def creation_cancelled(*, credential: Credential, actor) -> AuditEvent:
    """Record a credential deleted because its Save was cancelled while the check ran."""
    return _record(
        credential=credential, actor=actor, action=Action.CREATION_CANCELLED, fingerprint=credential.masked_fingerprint,
    )


def connection_renamed(*, connection: Connection, actor, old_name: str) -> AuditEvent:
    return _record(
        credential=connection.credential, actor=actor, action=Action.CONNECTION_RENAMED,
        kind=connection.kind, connection_id=str(connection.pk), old_name=old_name, new_name=connection.name,
    )


def released(*, connection: Connection, credential: Credential, actor, moved_to: Credential | None = None) -> AuditEvent:
    """Record that connection no longer uses credential: deleted, or moved to another credential."""
    return _record(
        credential=credential, actor=actor, action=Action.RELEASED,
        connection=connection.name, kind=connection.kind, connection_id=str(connection.pk),
        moved_to=moved_to.name if moved_to else None,
    )


def owner_changed(*, credential: Credential, from_user, reason: str, via_team=None, renamed_from=None) -> AuditEvent:
    return _record(
        credential=credential, actor=None, action=Action.OWNER_CHANGED,
        **{"from": from_user.get_username()}, to=credential.owner.get_username(), reason=reason,
        via_team=via_team.name if via_team else None, renamed_from=renamed_from,
    )


def connection_owner_changed(*, connection: Connection, from_user, reason: str) -> AuditEvent:
    return _record(
        credential=connection.credential, actor=None, action=Action.OWNER_CHANGED,
        connection=connection.name, kind=connection.kind, connection_id=str(connection.pk),
        **{"from": from_user.get_username()}, to=connection.owner.get_username(), reason=reason,
    )


def master_key_rotated(*, from_key_ids, to_key_id: str, count: int) -> AuditEvent:
    """Record one rotation run for all credentials: one row, not one per secret."""
    return AuditEvent.objects.create(
        credential=None, credential_name=ALL_CREDENTIALS, provider="", actor=None, actor_name=SYSTEM,
        action=Action.MASTER_KEY_ROTATED,
        details={"from_key_ids": sorted(from_key_ids), "to_key_id": to_key_id, "count": count},
    )


# --- Formatters: what an event says, in the users' words ---------------------


def _label(choices, value) -> str:
    return dict(choices).get(value, value or "")


def _outcome(value: str) -> str:
    return Outcome(value).label if value in set(Outcome) else value


def _created(d: dict) -> str:
    return f"Created with key {d.get('fingerprint') or '—'}; {_label(Credential.Status.choices, d.get('status'))}"


def _checked(d: dict) -> str:
    if d.get("attempt"):
        return (
            f"New key {d.get('new_fingerprint', '')} refused, key not replaced: {_outcome(d.get('outcome', ''))}. "
            f"{d.get('message', '')}"
        ).strip()
    return f"Checked: {_outcome(d.get('outcome', ''))}. {d.get('message', '')}".strip()


def _key_replaced(d: dict) -> str:
    return f"Key replaced: {d.get('old_fingerprint') or '—'} → {d.get('new_fingerprint') or '—'}"


def _settings_changed(d: dict) -> str:
    return f"Settings changed after a verified check: {d.get('old_settings') or '—'} → {d.get('new_settings') or '—'}"


def _renamed(d: dict) -> str:
    return f"Renamed from “{d.get('old_name', '')}” to “{d.get('new_name', '')}”"


def _description_edited(d: dict) -> str:
    new = d.get("new_description", "")
    return f"Description changed to “{new}”" if new else "Description removed"


def _level(d: dict, key: str = "level") -> str:
    return _label(CredentialShare.Level.choices, d.get(key))


def _shared(d: dict) -> str:
    if d.get("previous_level"):
        return f"Sharing with {d.get('team', '')} changed from {_level(d, 'previous_level')} to {_level(d)}"
    return f"Shared with {d.get('team', '')} ({_level(d)})"


def _unshared(d: dict) -> str:
    return f"No longer shared with {d.get('team', '')} (had {_level(d)})"


def _deleted(d: dict) -> str:
    if d.get("moved_to"):
        return f"Deleted after moving {', '.join(d.get('connections_moved', []))} to “{d['moved_to']}”"
    return f"Deleted (key {d.get('fingerprint') or '—'})"


def _used(d: dict) -> str:
    kind = _kind(d)
    if d.get("moved_from"):
        return f"{kind} “{d.get('connection', '')}” moved here from “{d['moved_from']}”"
    return f"Used by {kind.lower()} “{d.get('connection', '')}”"


def _kind(d: dict) -> str:
    return _label(Connection.Kind.choices, d.get("kind")) or "Connection"


def _creation_cancelled(d: dict) -> str:
    return f"Deleted: its Save was cancelled while the key {d.get('fingerprint') or '—'} was being checked"


def _connection_renamed(d: dict) -> str:
    return f"{_kind(d)} renamed from “{d.get('old_name', '')}” to “{d.get('new_name', '')}”"


def _released(d: dict) -> str:
    if d.get("moved_to"):
        return f"{_kind(d)} “{d.get('connection', '')}” moved to “{d['moved_to']}”"
    return f"{_kind(d)} “{d.get('connection', '')}” deleted; it no longer uses this credential"


def _owner_changed(d: dict) -> str:
    what = f"{_label(Connection.Kind.choices, d.get('kind'))} “{d['connection']}”" if d.get("connection") else "Ownership"
    text = f"{what} handed over from {d.get('from', '')} to {d.get('to', '')} ({d.get('reason', '')})"
    if d.get("via_team"):
        text += f", as an admin of {d['via_team']}"
    if d.get("renamed_from"):
        text += f"; renamed from “{d['renamed_from']}” to keep names unique"
    return text


def _master_key_rotated(d: dict) -> str:
    return f"Master key rotated: secrets re-encrypted under key {d.get('to_key_id', '—')}"


SUMMARIES = {
    Action.CREATED: _created,
    Action.CHECKED: _checked,
    Action.KEY_REPLACED: _key_replaced,
    Action.SETTINGS_CHANGED: _settings_changed,
    Action.RENAMED: _renamed,
    Action.DESCRIPTION_EDITED: _description_edited,
    Action.SHARED: _shared,
    Action.UNSHARED: _unshared,
    Action.DISABLED: lambda d: "Disabled",
    Action.ENABLED: lambda d: "Enabled",
    Action.DELETED: _deleted,
    Action.USED: _used,
    Action.OWNER_CHANGED: _owner_changed,
    Action.MASTER_KEY_ROTATED: _master_key_rotated,
    Action.CREATION_CANCELLED: _creation_cancelled,
    Action.CONNECTION_RENAMED: _connection_renamed,
    Action.RELEASED: _released,
}


def summary(event: AuditEvent) -> str:
    """Return what event changed, in the users' words."""
    formatter = SUMMARIES.get(event.action)
    return formatter(event.details or {}) if formatter else event.get_action_display()
