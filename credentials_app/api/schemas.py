"""The API's contract: what each endpoint takes and answers. No schema has a field that could hold a stored key."""
from datetime import datetime
from typing import Annotated, Literal
from uuid import UUID

from ninja import Field, Schema

from connectors.registry import provider_choices
from credentials_app.models import Credential
from credentials_app.names import DESCRIPTION_MAX_LENGTH, NAME_MAX_LENGTH

# An enum in the OpenAPI document, so a client sees every provider id it may send.
ProviderId = Literal[tuple(provider for provider, _name in provider_choices())]

# PostgreSQL cannot store or compare text holding NUL; refuse it at the door, as the schema says.
NO_NUL = r"^[^\x00]*$"
Text = Annotated[str, Field(pattern=NO_NUL)]

Level = Literal["use", "manage"]
CredentialStatus = Literal[tuple(Credential.Status.values)]
Kind = Literal["source", "destination"]
Role = Literal["admin", "member"]


class SettingOut(Schema):
    name: str
    label: str
    choices: list[dict[str, str]]
    default: str
    help_text: str


class ProviderOut(Schema):
    id: str
    name: str
    description: str
    kinds: list[str]
    key_label: str
    key_help: str
    settings: list[SettingOut]
    settings_schema: dict = Field(description="JSON Schema of this provider's settings object.")


class ShareOut(Schema):
    team_id: UUID
    team: str
    level: Level


class CredentialOut(Schema):
    id: UUID
    provider: str
    name: str
    description: str
    settings: dict[str, str]
    status: CredentialStatus
    status_message: str
    fingerprint: str = Field(description="The key's last four characters behind dots; the key itself is never returned.")
    disabled: bool
    needs_attention: bool
    attention: list[str]
    last_checked_at: datetime | None
    last_check_ms: int | None
    owner: str
    access: Level
    shares: list[ShareOut] = Field(description="The teams it is shared with; listed for its managers only.")
    connection_count: int
    created_at: datetime
    updated_at: datetime


class CredentialPage(Schema):
    items: list[CredentialOut]
    next_cursor: str | None


class CredentialCreateIn(Schema):
    provider: ProviderId
    name: str = Field(max_length=NAME_MAX_LENGTH * 2, pattern=NO_NUL)
    description: str = Field("", max_length=DESCRIPTION_MAX_LENGTH * 2, pattern=NO_NUL)
    key: str = Field(description="Checked with the provider, stored encrypted, never returned.", pattern=NO_NUL)
    settings: dict[str, Text] = {}
    unverified_permit: str = Field("", pattern=NO_NUL, description="The permit of a could-not-check answer: saves the same key unchecked.")
    accept_restricted: bool = Field(False, description="Save a key the provider accepts with limited access.")


class CredentialEditIn(Schema):
    name: Text | None = None
    description: Text | None = None


class KeyIn(Schema):
    key: Text


class CheckOut(Schema):
    outcome: Literal["verified", "restricted", "rejected", "could_not_check"]
    message: str
    stored: bool = Field(description="False when the result was not stored (the key changed meanwhile, or it could not be decrypted).")
    credential: CredentialOut


class MoveAndDeleteIn(Schema):
    replacement: UUID


class EventOut(Schema):
    id: int
    action: str
    summary: str
    actor: str
    token: str | None
    created_at: datetime


class EventPage(Schema):
    items: list[EventOut]
    next_cursor: str | None


class ConnectionIn(Schema):
    kind: Kind
    provider: ProviderId
    name: str = Field(max_length=NAME_MAX_LENGTH * 2, pattern=NO_NUL)
    credential: UUID


class ConnectionOut(Schema):
    id: UUID
    kind: Kind
    provider: str
    name: str
    credential: UUID
    credential_name: str
    created_at: datetime


class TeamIn(Schema):
    name: str = Field(max_length=NAME_MAX_LENGTH * 2, pattern=NO_NUL)


class TeamOut(Schema):
    id: UUID
    name: str
    role: Role | None = Field(description="Your role; null for a team token.")
    member_count: int


class MemberIn(Schema):
    email: str = Field(description="The email address to invite.", max_length=254, pattern=NO_NUL)
    role: Role = "member"


class InvitationOut(Schema):
    """An invitation made: the same answer whether or not the address has an account here."""

    email: str
    role: Role
    expires_at: datetime
    sent: bool = Field(description="True when the link was mailed to the address.")
    link: str | None = Field(description="The link to pass on, when this install sends no mail.")


class RoleIn(Schema):
    role: Role


class MemberOut(Schema):
    id: int
    user: str
    role: Role


class ShareIn(Schema):
    team: UUID
    level: Level = "use"


class LevelIn(Schema):
    level: Level
