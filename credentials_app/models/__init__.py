"""Credentials with encrypted keys, the teams they are shared with, and what uses them."""
import uuid

from django.conf import settings
from django.db import models
from django.db.models.functions import Lower

from connectors.registry import get_connector
from credentials_app import crypto


# A key this short would be mostly revealed by its last 4 characters, so it shows none.
FINGERPRINT_MIN_KEY_LENGTH = 9


def fingerprint_of(key: str) -> str:
    """Return the last 4 characters of key, or "" when key is too short to show any of it."""
    return key[-4:] if len(key or "") >= FINGERPRINT_MIN_KEY_LENGTH else ""


def mask_fingerprint(key: str) -> str:
    """Return the only form of a key ever shown: its last 4 characters behind dots, or "" for a short key."""
    fingerprint = fingerprint_of(key)
    return f"••••{fingerprint}" if fingerprint else ""


class Team(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    name = models.CharField(max_length=100, unique=True)
    members = models.ManyToManyField(settings.AUTH_USER_MODEL, through="Membership", related_name="teams")
    created_at = models.DateTimeField(auto_now_add=True)
    # Set by a team admin: every member must add a second factor before doing anything else.
    two_factor_required = models.BooleanField(default=False)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name


class Membership(models.Model):
    class Role(models.TextChoices):
        ADMIN = "admin", "Admin"
        MEMBER = "member", "Member"

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=10, choices=Role.choices, default=Role.MEMBER)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["team", "user"], name="unique_membership")]
        ordering = ["team__name", "user__username"]

    def __str__(self):
        return f"{self.user} in {self.team} ({self.get_role_display()})"


class Invitation(models.Model):
    """A team admin's invitation to join a team, by email; accepted once, through a signed link, before it expires."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="invitations")
    email = models.EmailField()
    role = models.CharField(max_length=10, choices=Membership.Role.choices, default=Membership.Role.MEMBER)
    invited_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.email} to {self.team}"


class Credential(models.Model):
    """An API key for one provider, encrypted at rest, with what its last check said."""

    class Status(models.TextChoices):
        VERIFIED = "verified", "Verified"
        # A valid key the provider lets read less than the check reads (Custify's 403, accepted).
        RESTRICTED = "restricted", "Limited access"
        NOT_VERIFIED = "not_verified", "Not verified"
        # Saved with "Save without checking" after the provider could not be asked; never verified since.
        COULD_NOT_CHECK = "could_not_check", "Could not check"
        REJECTED = "rejected", "Rejected"
        # Its stored secret did not decrypt (a missing master key, a corrupted or swapped value).
        CANT_DECRYPT = "cant_decrypt", "Can't decrypt"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="credentials")
    provider = models.CharField(max_length=40, db_index=True)
    name = models.CharField("Credential Name", max_length=100)
    description = models.TextField("Credential Description", max_length=500, blank=True)
    options = models.JSONField("Settings", default=dict, blank=True)
    # aesgcm1$<key id>$<ciphertext>: never shown, never returned.
    secret = models.TextField(editable=False)
    # The id of the key that encrypted secret, kept in a column so rotation can find old ones fast.
    key_id = models.CharField(max_length=32, db_index=True, editable=False)
    fingerprint = models.CharField(max_length=4, editable=False)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.NOT_VERIFIED)
    status_message = models.TextField(blank=True)
    last_checked_at = models.DateTimeField(null=True, blank=True)
    last_check_ms = models.PositiveIntegerField(null=True, blank=True)
    # When the key itself says it stops working (Moshtix's JWT exp), if it says; the watch warns ahead.
    key_expires_at = models.DateTimeField(null=True, blank=True, editable=False)
    disabled_at = models.DateTimeField(null=True, blank=True)
    # Machines holding a token with credentials:read_secret may read the key only when this is on.
    machine_reads_allowed = models.BooleanField("Allow machine reads", default=False)
    # The name machines read it by (an Airflow connection id): unique across the install.
    connection_name = models.SlugField("Connection id", max_length=100, null=True, blank=True, unique=True)
    # Sent with the overlay form so a double-clicked Save creates one credential.
    creation_token = models.UUIDField(null=True, blank=True, unique=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                "owner", "provider", Lower("name"), name="unique_credential_name_per_owner_provider"
            ),
        ]
        indexes = [
            models.Index(fields=["owner", "provider"]),
            # The orders pages read a screenful in: the Credentials list and the Authenticate tiles.
            models.Index(Lower("name"), "id", name="credential_list_order"),
            models.Index(fields=["provider", "created_at"], name="credential_newest_first"),
        ]

    def __str__(self):
        return self.name

    @property
    def associated_data(self) -> str:
        return f"credential:{self.id}"

    def set_key(self, key: str) -> None:
        """Encrypt key into this credential; the plaintext is not kept on the instance."""
        self.secret = crypto.encrypt(key, associated_data=self.associated_data)
        self.key_id = crypto.key_id_of(self.secret)
        self.fingerprint = fingerprint_of(key)
        self.key_expires_at = self.connector.key_expiry(key)

    def decrypt_key(self) -> str:
        """Return the plaintext key, for sending to the provider only; raise SecretUnavailable."""
        return crypto.decrypt(self.secret, associated_data=self.associated_data)

    @property
    def masked_fingerprint(self) -> str:
        return f"••••{self.fingerprint}" if self.fingerprint else ""

    @property
    def is_disabled(self) -> bool:
        return self.disabled_at is not None

    @property
    def decrypt_problem(self) -> str:
        """Return "Can't decrypt: key <id> missing" when the keyring lacks this secret's key."""
        if self.key_id and self.key_id not in crypto.get_keyring():
            return f"Can't decrypt: key {self.key_id} missing"
        return ""

    @property
    def connector(self):
        return get_connector(self.provider)

    def settings_values(self) -> dict[str, str]:
        """Return the value of every provider setting, the default where none is stored."""
        return {setting.name: self.options.get(setting.name, setting.default) for setting in self.connector.settings}

    def settings_display(self) -> list[tuple[str, str]]:
        """Return the provider settings as (label, chosen label) pairs."""
        return [
            (setting.label, setting.label_for(self.options.get(setting.name, setting.default)))
            for setting in self.connector.settings
        ]


class CredentialShare(models.Model):
    class Level(models.TextChoices):
        USE = "use", "Can use"
        MANAGE = "manage", "Can manage"

    credential = models.ForeignKey(Credential, on_delete=models.CASCADE, related_name="shares")
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="shares")
    level = models.CharField(max_length=10, choices=Level.choices, default=Level.USE)
    shared_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["credential", "team"], name="unique_share")]

    def __str__(self):
        return f"{self.credential} → {self.team} ({self.get_level_display()})"


class Connection(models.Model):
    """A data source or destination built on a credential."""

    class Kind(models.TextChoices):
        SOURCE = "source", "Data source"
        DESTINATION = "destination", "Destination"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="connections")
    kind = models.CharField(max_length=12, choices=Kind.choices)
    provider = models.CharField(max_length=40)
    name = models.CharField(max_length=100)
    credential = models.ForeignKey(Credential, on_delete=models.PROTECT, related_name="connections")
    # Sent with the naming form so a double-clicked "Create" makes one data source.
    creation_token = models.UUIDField(null=True, blank=True, unique=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return self.name


class CreationCancel(models.Model):
    """An Add Credential form whose Save the user cancelled: its creation token may never save."""

    creation_token = models.UUIDField(primary_key=True)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self):
        return str(self.creation_token)


class AuditEvent(models.Model):
    """One thing that happened to a credential: who, when, what changed. Never a secret."""

    class Action(models.TextChoices):
        CREATED = "created", "Created"
        CHECKED = "checked", "Checked"
        KEY_REPLACED = "key_replaced", "Key replaced"
        SETTINGS_CHANGED = "settings_changed", "Settings changed"
        RENAMED = "renamed", "Renamed"
        DESCRIPTION_EDITED = "description_edited", "Description edited"
        SHARED = "shared", "Shared"
        UNSHARED = "unshared", "Unshared"
        DISABLED = "disabled", "Disabled"
        ENABLED = "enabled", "Enabled"
        DELETED = "deleted", "Deleted"
        USED = "used", "Used by a data source"
        OWNER_CHANGED = "owner_changed", "Ownership handed over"
        MASTER_KEY_ROTATED = "master_key_rotated", "Master key rotated"
        CHECK_THROTTLED = "check_throttled", "Checks refused: over budget"
        PROXY_FIRST_USE = "proxy_first_use", "First used through the proxy by a token"
        PROXY_REFUSED = "proxy_refused", "Proxy request refused"
        SECRET_READ = "secret_read", "Key read by a machine"
        SECRET_READ_REFUSED = "secret_read_refused", "Key read by a machine refused"
        MACHINE_READS_ALLOWED = "machine_reads_allowed", "Machine reads allowed"
        MACHINE_READS_DISALLOWED = "machine_reads_disallowed", "Machine reads disallowed"
        CREATION_CANCELLED = "creation_cancelled", "Cancelled while saving"
        CONNECTION_RENAMED = "connection_renamed", "Data source or destination renamed"
        RELEASED = "released", "No longer used by a data source or destination"
        HEALTH_CHANGED = "health_changed", "Health changed"
        TOKEN_CREATED = "token_created", "API token created"
        TOKEN_REVOKED = "token_revoked", "API token revoked"
        # A person's sign-in, not a credential (issue 21): these events name no credential.
        TWO_FACTOR_ADDED = "two_factor_added", "Second factor added"
        TWO_FACTOR_REMOVED = "two_factor_removed", "Second factor removed"
        RECOVERY_CODES_RENEWED = "recovery_codes_renewed", "New recovery codes made"
        RECOVERY_CODE_USED = "recovery_code_used", "Recovery code used"
        TWO_FACTOR_RESET = "two_factor_reset", "Second factors reset by an administrator"
        TWO_FACTOR_TEAM_RULE = "two_factor_team_rule", "Team's two-factor rule changed"
        INVITED = "invited", "Invited to a team"
        INVITATION_ACCEPTED = "invitation_accepted", "Invitation accepted"
        SSO_SIGNED_UP = "sso_signed_up", "Account made by single sign-on"
        SSO_LINKED = "sso_linked", "Single sign-on linked to an account"
        TEAMS_FROM_GROUPS = "teams_from_groups", "Teams changed by single sign-on groups"

    credential = models.ForeignKey(
        Credential, on_delete=models.SET_NULL, null=True, blank=True, related_name="events"
    )
    # Kept so the event still reads right after the credential is deleted or renamed.
    credential_name = models.CharField(max_length=100)
    provider = models.CharField(max_length=40)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    actor_name = models.CharField(max_length=150, blank=True)
    action = models.CharField(max_length=30, choices=Action.choices)
    details = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return f"{self.get_action_display()}: {self.credential_name}"


class ApiToken(models.Model):
    """A bearer token for the API: a person's own, or a team's. Only a hash of it is stored."""

    class Scope(models.TextChoices):
        READ = "credentials:read", "Read metadata (credentials:read)"
        WRITE = "credentials:write", "Create and change (credentials:write)"
        CHECK = "credentials:check", "Check keys with providers (credentials:check)"
        USE = "credentials:use", "Use credentials through the app (credentials:use)"
        READ_SECRET = "credentials:read_secret", "Read keys where allowed (credentials:read_secret)"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    name = models.CharField(max_length=100)
    # Exactly one of user (a personal token) and team (a team token) is set.
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, null=True, blank=True, related_name="api_tokens"
    )
    team = models.ForeignKey(Team, on_delete=models.CASCADE, null=True, blank=True, related_name="api_tokens")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # The visible start of the token ("cmk_AbCd1234"), so a person can tell their tokens apart.
    prefix = models.CharField(max_length=16, editable=False)
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    scopes = models.JSONField(default=list)
    expires_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(user__isnull=False, team__isnull=True)
                | models.Q(user__isnull=True, team__isnull=False),
                name="api_token_personal_or_team",
            ),
        ]

    def __str__(self):
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_team_token(self) -> bool:
        return self.team_id is not None

    @property
    def acting_user(self):
        """Return the person whose name is on what the token does: its owner, or a team token's creator."""
        return self.created_by if self.is_team_token else self.user

    def has_scope(self, scope: str) -> bool:
        return scope in self.scopes

    def is_usable(self, now) -> bool:
        if self.revoked_at is not None or (self.expires_at is not None and self.expires_at <= now):
            return False
        return self.is_team_token or self.user.is_active


class ProxyUsage(models.Model):
    """How many proxied calls one token made with one credential in one hour, per answer status."""

    token = models.ForeignKey("ApiToken", on_delete=models.CASCADE, related_name="proxy_usage")
    credential = models.ForeignKey(Credential, on_delete=models.CASCADE, related_name="proxy_usage")
    hour = models.DateTimeField()
    status = models.PositiveSmallIntegerField()
    count = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["token", "credential", "hour", "status"], name="unique_proxy_usage"),
        ]
        indexes = [models.Index(fields=["credential", "hour"])]

    def __str__(self):
        return f"{self.token} on {self.credential} at {self.hour:%Y-%m-%d %H}:00: {self.count} × {self.status}"


class MachineRefusalCount(models.Model):
    """How many machine requests naming one credential were refused in one hour, per door and cause.

    The first of each hour and cause is also in the audit log; the rest are only counted here.
    """

    class Via(models.TextChoices):
        PROXY = "proxy", "Proxy"
        VAULT = "vault", "Vault read"

    credential = models.ForeignKey(Credential, on_delete=models.CASCADE, related_name="machine_refusals")
    hour = models.DateTimeField()
    via = models.CharField(max_length=10, choices=Via)
    # The refusal's problem type ("token-required", "rate-limit-reached", ...).
    cause = models.CharField(max_length=60)
    status = models.PositiveSmallIntegerField()
    count = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["credential", "hour", "via", "cause"], name="unique_machine_refusal_count"),
        ]

    def __str__(self):
        return f"{self.get_via_display()} on {self.credential} at {self.hour:%Y-%m-%d %H}:00: {self.count} × {self.cause}"


class CountingWindow(models.Model):
    """One fixed window's count of one counter (a check budget, a proxy rate limit); see counting_windows.py."""

    # The counter's name and its window's start, e.g. "proxy-rate:<credential id>:1765000000".
    counter = models.CharField(max_length=200, primary_key=True)
    count = models.PositiveIntegerField(default=0)
    # Seconds since the epoch, as counting_windows.clock() reads them; past it the row is deleted.
    expires_at = models.FloatField(db_index=True)

    def __str__(self):
        return f"{self.counter}: {self.count}"


class IdempotencyRecord(models.Model):
    """The first answer to a POST sent with an Idempotency-Key, replayed when the same token retries it."""

    token = models.ForeignKey(ApiToken, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=255)
    # A keyed digest of method, path and body: the body may hold a key, so it is never stored.
    fingerprint = models.CharField(max_length=64)
    # Empty while the first request is still running.
    status = models.PositiveSmallIntegerField(null=True)
    content_type = models.CharField(max_length=100, blank=True)
    body = models.BinaryField(default=b"")
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["token", "key"], name="unique_idempotency_key_per_token")]


# The watch's runs and the notifications' channels and outbox, in modules of their own.
from credentials_app.models.notifications import Notification, NotificationChannel  # noqa: E402,F401
from credentials_app.models.watch_runs import WatchRun  # noqa: E402,F401
