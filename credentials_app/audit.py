"""Record what happens to credentials. Details hold names, settings, outcomes, fingerprints only."""
from credentials_app.models import AuditEvent, Credential


def audit_record(*, credential: Credential, actor, action: str, details: dict | None = None) -> AuditEvent:
    """Store one audit event for credential, done by actor (a user, or None for the system)."""
    return AuditEvent.objects.create(
        credential=credential,
        credential_name=credential.name,
        provider=credential.provider,
        actor=actor if actor is not None and actor.is_authenticated else None,
        actor_name=actor.get_username() if actor is not None and actor.is_authenticated else "system",
        action=action,
        details=details or {},
    )
