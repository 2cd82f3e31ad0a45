"""The audit vocabulary: one builder per action records an event, one formatter per action reads it.

Details hold names, settings, outcomes and fingerprints only, never a secret. Builders are the
only code that writes AuditEvent rows, so every event of one action has the same details.
"""
from contextlib import contextmanager
from contextvars import ContextVar

from connectors.base import Outcome, ValidationResult
from credentials_app.models import AuditEvent, Connection, Credential, CredentialShare
from credentials_app.status_words import limit_in_words

Action = AuditEvent.Action
SYSTEM = "system"
ALL_CREDENTIALS = "(all credentials)"


# The API token a request acts through; every event recorded meanwhile names it.
_acting_token: ContextVar = ContextVar("acting_token", default=None)


@contextmanager
def through_token(token):
    """Record every event inside the block as done through token (its name and visible prefix)."""
    reset = _acting_token.set(token)
    try:
        yield
    finally:
        _acting_token.reset(reset)


def acting_token():
    """Return the API token the current request acts through, or None (a page, a command)."""
    return _acting_token.get()


def _record(*, credential: Credential | None, actor, action: str, provider: str = "", **details) -> AuditEvent:
    signed_in = actor is not None and actor.is_authenticated
    token = _acting_token.get()
    if token is not None:
        details.update(token=token.name, token_prefix=token.prefix)
    if signed_in:
        actor_name = actor.get_username()
    elif details.get("token"):
        # No person acts (a team token whose creator was deleted): the token is who did it.
        actor_name = f"API token “{details['token']}” ({details.get('token_prefix', '')}…)"
    else:
        actor_name = SYSTEM
    return AuditEvent.objects.create(
        credential=credential,
        credential_name=credential.name if credential is not None else "",
        provider=credential.provider if credential is not None else provider,
        actor=actor if signed_in else None,
        actor_name=actor_name,
        action=action,
        details={name: value for name, value in details.items() if value is not None},
    )


# --- Builders ---------------------------------------------------------------


def created(*, credential: Credential, actor, result: ValidationResult) -> AuditEvent:
    return _record(
        credential=credential, actor=actor, action=Action.CREATED, settings=credential.options,
        status=credential.status, outcome=str(result.outcome), fingerprint=credential.masked_fingerprint,
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
    """Return options as "Label: chosen label" pairs, e.g. "Environment: Staging"."""
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


def check_throttled(
    *, credential: Credential | None, provider: str, actor, scope: str, limit: int, window_seconds: int
) -> AuditEvent:
    """Record the first check refused in a budget window (on the credential, or with none for a new key)."""
    return _record(
        credential=credential, provider=provider, actor=actor, action=Action.CHECK_THROTTLED,
        scope=scope, limit=limit, window_seconds=window_seconds,
    )


def master_key_rotated(*, from_key_ids, to_key_id: str, count: int) -> AuditEvent:
    """Record one rotation run for all credentials: one row, not one per secret."""
    return AuditEvent.objects.create(
        credential=None, credential_name=ALL_CREDENTIALS, provider="", actor=None, actor_name=SYSTEM,
        action=Action.MASTER_KEY_ROTATED,
        details={"from_key_ids": sorted(from_key_ids), "to_key_id": to_key_id, "count": count},
    )


def _token_details(token) -> dict:
    """Return the details naming token, as through_token() records them, plus its id."""
    return {"token": token.name, "token_prefix": token.prefix, "token_id": str(token.pk)}


def proxy_first_use(*, credential: Credential, token) -> AuditEvent:
    """Record the first proxied call of token with credential (later calls are only counted)."""
    return _record(credential=credential, actor=token.acting_user, action=Action.PROXY_FIRST_USE,
                   **_token_details(token))


def machine_refused(
    *, credential: Credential, token, via: str, status: int, reason: str, reached: bool = True
) -> AuditEvent:
    """Record a machine request (via "proxy" or "vault") refused before the provider or the key was reached.

    token is None when none was valid. A caller that could not reach the credential (no valid token,
    or one without access) is recorded beside it, not in its history, so nobody can write into the
    history of a credential they cannot see. Only the first refusal of an hour and cause is recorded
    (machine/refusals.py counts the rest).
    """
    action = Action.SECRET_READ_REFUSED if via == "vault" else Action.PROXY_REFUSED
    return _record(
        credential=credential if reached else None, provider=credential.provider,
        actor=token.acting_user if token else None, action=action, status=status, reason=reason,
        credential_id=None if reached else str(credential.pk), **(_token_details(token) if token else {}),
    )


def secret_read(*, credential: Credential, token, via: str) -> AuditEvent:
    """Record that token read credential's key (via names the endpoint: "vault")."""
    return _record(credential=credential, actor=token.acting_user, action=Action.SECRET_READ,
                   via=via, **_token_details(token))


def machine_reads_changed(*, credential: Credential, actor, old_connection_name: str | None) -> AuditEvent:
    return _record(
        credential=credential, actor=actor,
        action=Action.MACHINE_READS_ALLOWED if credential.machine_reads_allowed else Action.MACHINE_READS_DISALLOWED,
        connection_name=credential.connection_name or "", old_connection_name=old_connection_name or "",
    )


def health_changed(*, credential: Credential, actor, old: str, new: str, cause: str) -> AuditEvent:
    """Record a move of credential's status (its health), with its cause; never a key."""
    return _record(credential=credential, actor=actor, action=Action.HEALTH_CHANGED, old=old, new=new, cause=cause)


def _token_subject(token) -> dict:
    # "token" would name the token acting (through_token); these name the token acted on.
    return {
        "api_token": token.name, "api_token_prefix": token.prefix, "api_token_id": str(token.pk),
        "team": token.team.name if token.team_id else None, "scopes": list(token.scopes),
        "expires_at": token.expires_at.isoformat() if token.expires_at else "never",
    }


def token_created(*, token, actor) -> AuditEvent:
    """Record that actor created token (an event of no credential, in the admin's audit log)."""
    return _record(credential=None, actor=actor, action=Action.TOKEN_CREATED, **_token_subject(token))


def token_revoked(*, token, actor) -> AuditEvent:
    """Record that token was revoked, by actor (None when a person's deactivation revoked it)."""
    return _record(credential=None, actor=actor, action=Action.TOKEN_REVOKED, **_token_subject(token))


# --- Formatters: what an event says, in the users' words ---------------------


# --- A person's sign-in (issue 21): no credential, the person named in the details ---


def two_factor_changed(*, user, action: str, kind: str = "", actor=None) -> AuditEvent:
    """Record a second factor of user's added, removed, renewed or used; actor is user unless an admin acted."""
    return _record(
        credential=None, actor=actor or user, action=action, person=user.get_username(), kind=kind or None,
    )


def two_factor_team_rule(*, team, actor) -> AuditEvent:
    return _record(
        credential=None, actor=actor, action=Action.TWO_FACTOR_TEAM_RULE,
        team=team.name, team_id=str(team.pk), required=team.two_factor_required,
    )


def invited(*, invitation, actor) -> AuditEvent:
    return _record(
        credential=None, actor=actor, action=Action.INVITED, team=invitation.team.name,
        team_id=str(invitation.team_id), email=invitation.email, role=invitation.role,
    )


def invitation_accepted(*, invitation, user, role: str) -> AuditEvent:
    return _record(
        credential=None, actor=user, action=Action.INVITATION_ACCEPTED, team=invitation.team.name,
        team_id=str(invitation.team_id), email=invitation.email, person=user.get_username(), role=role,
    )


def single_sign_on(*, user, action: str, provider: str, **details) -> AuditEvent:
    """Record an account made or linked by single sign-on, or its teams changed from the provider's groups."""
    return _record(credential=None, actor=user, action=action, person=user.get_username(), via=provider, **details)


def _label(choices, value) -> str:
    return dict(choices).get(value, value or "")


def _outcome(value: str) -> str:
    return Outcome(value).label if value in set(Outcome) else value


def _created(d: dict) -> str:
    return f"Created with key {d.get('fingerprint') or '—'}; {_label(Credential.Status.choices, d.get('status'))}"


def _checked(d: dict) -> str:
    if d.get("attempt"):
        key = f"New key {d['new_fingerprint']}" if d.get("new_fingerprint") else "A new key"
        return (
            f"{key} refused, key not replaced: {_outcome(d.get('outcome', ''))}. {d.get('message', '')}"
        ).strip()
    # A re-check of a saved credential: advice meant for the moment of saving does not apply.
    return f"Checked: {_outcome(d.get('outcome', ''))}. {limit_in_words(d.get('message', ''))}".strip()


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


def _check_throttled(d: dict) -> str:
    scope = str(d.get("scope", "")).replace("_", " and ")
    return (
        f"Key checks refused for the rest of the window: more than {d.get('limit', '?')} per "
        f"{d.get('window_seconds', '?')} s ({scope} budget)"
    )


def _master_key_rotated(d: dict) -> str:
    return f"Master key rotated: secrets re-encrypted under key {d.get('to_key_id', '—')}"


# The token's name is added by summary(), as for every event done through a token.
def _proxy_first_use(d: dict) -> str:
    return "First call through the proxy"


def _machine_refused(what: str):
    def summary(d: dict) -> str:
        who = "" if d.get("token") else " without a valid API token"
        return (f"{what} refused{who} ({d.get('status', '')}): {d.get('reason', '')} "
                "(later refusals for the same cause in this hour are counted, not listed)")

    return summary


def _secret_read(d: dict) -> str:
    return f"Key read by a machine ({d.get('via', '')})"


def _machine_reads(d: dict) -> str:
    name = d.get("connection_name") or "—"
    renamed = (
        f", previously “{d['old_connection_name']}”"
        if d.get("old_connection_name") and d.get("old_connection_name") != d.get("connection_name") else ""
    )
    return f"Connection id “{name}”{renamed}"


def _health_changed(d: dict) -> str:
    old, new = (_label(Credential.Status.choices, d.get(name)) for name in ("old", "new"))
    return f"Health: {old} → {new}. {d.get('cause', '')}".strip()


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
    Action.CHECK_THROTTLED: _check_throttled,
    Action.PROXY_FIRST_USE: _proxy_first_use,
    Action.PROXY_REFUSED: _machine_refused("Proxy request"),
    Action.SECRET_READ_REFUSED: _machine_refused("Key read"),
    Action.SECRET_READ: _secret_read,
    Action.MACHINE_READS_ALLOWED: lambda d: f"Machine reads allowed. {_machine_reads(d)}",
    Action.MACHINE_READS_DISALLOWED: lambda d: f"Machine reads not allowed. {_machine_reads(d)}",
    Action.CREATION_CANCELLED: _creation_cancelled,
    Action.CONNECTION_RENAMED: _connection_renamed,
    Action.RELEASED: _released,
    Action.HEALTH_CHANGED: _health_changed,
    Action.TOKEN_CREATED: lambda d: (
        f"API token “{d.get('api_token', '')}” ({d.get('api_token_prefix', '')}…) created"
        f"{' for team ' + d['team'] if d.get('team') else ''}: {', '.join(d.get('scopes', []))}; "
        f"expires {d.get('expires_at', '')}"
    ),
    Action.TOKEN_REVOKED: lambda d: f"API token “{d.get('api_token', '')}” ({d.get('api_token_prefix', '')}…) revoked",
    Action.TWO_FACTOR_ADDED: lambda d: f"{d.get('person', '')} added a second factor ({d.get('kind', '')})",
    Action.TWO_FACTOR_REMOVED: lambda d: f"{d.get('person', '')} removed a second factor ({d.get('kind', '')})",
    Action.RECOVERY_CODES_RENEWED: lambda d: f"{d.get('person', '')} made new recovery codes",
    Action.RECOVERY_CODE_USED: lambda d: f"{d.get('person', '')} used a recovery code",
    Action.TWO_FACTOR_RESET: lambda d: f"Every second factor of {d.get('person', '')} removed, for a lost device",
    Action.INVITED: lambda d: f"{d.get('email', '')} invited to {d.get('team', '')} as {d.get('role', '')}",
    Action.INVITATION_ACCEPTED: lambda d: f"{d.get('person', '')} joined {d.get('team', '')} by invitation ({d.get('email', '')})",
    Action.SSO_SIGNED_UP: lambda d: f"Account {d.get('person', '')} made by signing on with {d.get('via', '')}",
    Action.SSO_LINKED: lambda d: f"{d.get('via', '')} linked to {d.get('person', '')} by a verified email",
    Action.TEAMS_FROM_GROUPS: lambda d: (
        f"{d.get('person', '')}'s teams from {d.get('via', '')} groups: {', '.join(d.get('changes', []))}"
    ),
    Action.TWO_FACTOR_TEAM_RULE: lambda d: (
        f"{d.get('team', '')}: two factors {'required' if d.get('required') else 'no longer required'} of members"
    ),
}


def summary(event: AuditEvent, *, may_manage: bool = True) -> str:
    """Return what event changed, in the users' words, for a reader who may (or may not) manage it."""
    details = dict(event.details or {})
    if not may_manage:
        # A refused key is not the credential's: only its managers see even its fingerprint.
        details.pop("new_fingerprint", None)
    formatter = SUMMARIES.get(event.action)
    text = formatter(details) if formatter else event.get_action_display()
    if details.get("token"):
        text += f" (through API token “{details['token']}”)"
    return text
