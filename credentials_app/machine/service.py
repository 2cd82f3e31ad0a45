"""Machine use of credentials: API tokens calling providers through the proxy, and reading keys.

Every key read is in the audit log; refusals of requests naming an existing credential are counted
per hour and cause, and the first of each is audited (machine/refusals.py); proxied calls
are counted per token, credential, hour and status, and the first one is audited.
"""
import json
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q, Sum
from django.utils import timezone
from django.views.decorators.debug import sensitive_variables

from credentials_app import counting_windows, crypto, events
from credentials_app.access import read_credential_for
from credentials_app.models import ApiToken, Credential, ProxyUsage
from credentials_app.problems import PROBLEMS
from credentials_app.services.credentials import credential_note_undecryptable
from credentials_app.machine.usage import usage_record
from credentials_app.machine.refusals import Via, refusal_record

USE_SCOPE = ApiToken.Scope.USE
READ_SECRET_SCOPE = ApiToken.Scope.READ_SECRET


class MachineRefusal(Exception):
    """A machine request refused before the provider or the key was reached; never holds the key.

    slug names the problem (credentials_app/problems.py), which gives its status and title;
    retry_after, when set, is the seconds to wait.
    """

    def __init__(self, slug: str, detail: str, *, retry_after: int | None = None):
        super().__init__(detail)
        self.slug, self.detail, self.retry_after = slug, detail, retry_after
        self.status, self.title = PROBLEMS[slug].status, PROBLEMS[slug].title


def _no_token(header: str) -> MachineRefusal:
    return MachineRefusal("unauthenticated", f"Send a valid API token as {header}.")


def _unseen() -> MachineRefusal:
    return MachineRefusal("not-found", "No such credential is reachable with this token.")


# --- The proxy ------------------------------------------------------------------------------------


@sensitive_variables()
def proxy_grant(*, token: ApiToken | None, credential_id) -> tuple[Credential, str]:
    """Return the credential token may call its provider with, and its key; raise MachineRefusal, counted.

    401 without a valid token, 404 for a credential the token cannot reach (or none at all), 403
    without the credentials:use scope, 409 when the credential is disabled or its key cannot be
    decrypted, 429 over the credential's rate limit.
    """
    credential, level = read_credential_for(token, "pk", credential_id)
    reached = False
    try:
        if token is None:
            raise _no_token("Authorization: Bearer <token>")
        if credential is None or level is None:
            raise _unseen()
        reached = True
        if not token.has_scope(USE_SCOPE):
            raise MachineRefusal("missing-scope", f"This token lacks the {USE_SCOPE} scope.")
        ensure_usable(credential)
        _within_rate_limit(credential)
        return credential, machine_key(credential)
    except MachineRefusal as refusal:
        if credential is not None:
            refusal_record(credential=credential, token=token, via=Via.PROXY, status=refusal.status,
                           cause=refusal.slug, reason=refusal.detail, reached=reached)
        raise


def ensure_usable(credential: Credential) -> None:
    """Raise MachineRefusal (409) when credential is disabled or its key cannot be decrypted."""
    if credential.is_disabled:
        raise MachineRefusal("credential-disabled", "This credential is disabled; a manager can enable it.")
    if credential.decrypt_problem:
        raise MachineRefusal("key-unavailable", f"{credential.decrypt_problem}.")


def _within_rate_limit(credential: Credential) -> None:
    """Count this call in the credential's fixed one-minute window; raise MachineRefusal (429) past the limit."""
    limit = settings.PROXY_RATE_LIMIT_PER_MINUTE
    if not limit:
        return
    spent = counting_windows.spend_one(f"proxy-rate:{credential.pk}", seconds=60)
    if spent.count > limit:
        raise MachineRefusal(
            "rate-limit-reached",
            f"This credential may be used for at most {limit} calls a minute through the proxy, to protect "
            f"{credential.connector.name}.",
            retry_after=spent.retry_after,
        )


@sensitive_variables()
def machine_key(credential: Credential) -> str:
    """Return credential's plaintext key, for the proxy to send or a granted read; raise MachineRefusal (409)."""
    try:
        return credential.decrypt_key()
    except crypto.SecretUnavailable as error:
        credential_note_undecryptable(credential=credential, error=error, actor=None)
        raise MachineRefusal("key-unavailable", "The key cannot be decrypted with this install's keys.") from None


def proxy_failed(*, token: ApiToken, credential: Credential, status: int, cause: str, reason: str) -> None:
    """Count a granted call the proxy could not forward; count it as a refusal when the proxy refused it (4xx)."""
    usage_record(token=token, credential=credential, status=status)
    if status < 500:
        refusal_record(credential=credential, token=token, via=Via.PROXY, status=status, cause=cause, reason=reason,
                       reached=True)


@dataclass(frozen=True)
class TokenUsage:
    token: ApiToken
    calls: int
    errors: int


def credential_usage_since(credential: Credential, since) -> list[TokenUsage]:
    """Return each token's proxied calls and error answers (status 400 and up) with credential since then."""
    rows = (
        ProxyUsage.objects.filter(credential=credential, hour__gte=since.replace(minute=0, second=0, microsecond=0))
        .values("token")
        .annotate(calls=Sum("count"), errors=Sum("count", filter=Q(status__gte=400)))
        .order_by("-calls")
    )
    tokens = ApiToken.objects.in_bulk([row["token"] for row in rows])
    return [TokenUsage(tokens[row["token"]], row["calls"], row["errors"] or 0) for row in rows]


def credential_usage_today(credential: Credential) -> list[TokenUsage]:
    """Return each token's proxied calls and errors with credential since midnight (TIME_ZONE)."""
    return credential_usage_since(credential, timezone.localtime().replace(hour=0, minute=0, second=0, microsecond=0))


# --- Secret reads ---------------------------------------------------------------------------------


def credential_set_machine_reads(*, credential: Credential, actor, allowed: bool, connection_name: str) -> None:
    """Allow or stop machine reads of credential's key, under connection_name; audited when anything changes.

    Raise ValidationError for a connection id that is not slug-like, is taken, or is missing while
    reads are allowed.
    """
    name = (connection_name or "").strip() or None
    if name:
        field = Credential._meta.get_field("connection_name")
        try:
            field.run_validators(name)
        except ValidationError as error:
            raise ValidationError({"connection_name": error.messages}) from None
    if allowed and not name:
        raise ValidationError({"connection_name": "Choose a connection id: machines read the key by it."})
    if name and Credential.objects.filter(connection_name=name).exclude(pk=credential.pk).exists():
        raise ValidationError({"connection_name": f"The connection id “{name}” is already used by another credential."})
    if credential.machine_reads_allowed == allowed and credential.connection_name == name:
        return
    old_name = credential.connection_name
    credential.machine_reads_allowed, credential.connection_name = allowed, name
    with transaction.atomic():
        try:
            credential.save(update_fields=["machine_reads_allowed", "connection_name", "updated_at"])
        except IntegrityError:
            raise ValidationError(
                {"connection_name": f"The connection id “{name}” is already used by another credential."}
            ) from None
        events.machine_reads_changed(credential=credential, actor=actor, old_connection_name=old_name)


@sensitive_variables()
def secret_read(*, token: ApiToken | None, connection_name: str, via: str) -> tuple[Credential, str]:
    """Return the credential named connection_name and its key, for token (read from via); audit the read.

    Raise MachineRefusal: 401 without a valid token, 403 without the credentials:read_secret scope,
    404 for a name the token cannot reach, 403 when machine reads are off or the credential is
    disabled, 409 when the key cannot be decrypted.
    """
    credential, level = read_credential_for(token, "connection_name", connection_name) if connection_name else (None, None)
    reached = credential is not None and level is not None
    try:
        if token is None:
            raise _no_token("X-Vault-Token")
        if not token.has_scope(READ_SECRET_SCOPE):
            raise MachineRefusal("missing-scope", f"This token lacks the {READ_SECRET_SCOPE} scope.")
        if not reached:
            raise _unseen()
        if not credential.machine_reads_allowed:
            raise MachineRefusal("machine-reads-not-allowed",
                                 "A manager of this credential has not allowed machines to read its key.")
        ensure_usable(credential)
        key = machine_key(credential)
    except MachineRefusal as refusal:
        if credential is not None:
            refusal_record(credential=credential, token=token, via=Via.VAULT, status=refusal.status,
                           cause=refusal.slug, reason=refusal.detail, reached=reached)
        raise
    events.secret_read(credential=credential, token=token, via=via)
    return credential, key


@sensitive_variables()
def airflow_connection_read(*, token: ApiToken | None, connection_name: str, via: str) -> dict:
    """Return KV v2's data for the connection connection_name: the credential as an Airflow connection.

    The key is its password; the read is audited (secret_read). Raise MachineRefusal as secret_read does.
    """
    credential, key = secret_read(token=token, connection_name=connection_name, via=via)
    return {
        "data": {
            "conn_type": credential.provider,
            "host": credential.connector.base_url(credential.options),
            "password": key,
            "extra": json.dumps(credential.options, sort_keys=True),
            "description": credential.description,
        },
        "metadata": {"created_time": credential.updated_at.isoformat().replace("+00:00", "Z"),
                     "custom_metadata": None, "deletion_time": "", "destroyed": False, "version": 1},
    }
