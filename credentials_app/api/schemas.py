"""The API's contract: what each endpoint takes and answers. No schema has a field that could hold a stored key."""
from datetime import datetime
from typing import Annotated, Literal
from uuid import UUID

from ninja import Field, Schema
from ninja.schema import DjangoGetter
from pydantic import model_validator

from connectors.registry import provider_choices
from credentials_app.models import ApiToken, Credential
from credentials_app.names import DESCRIPTION_MAX_LENGTH, NAME_MAX_LENGTH
from credentials_app.services.tokens import DEFAULT_EXPIRY_DAYS

# An enum in the OpenAPI document, so a client sees every provider id it may send.
ProviderId = Literal[tuple(provider for provider, _name in provider_choices())]

# PostgreSQL cannot store or compare text holding NUL; refuse it at the door, as the schema says.
NO_NUL = r"^[^\x00]*$"
Text = Annotated[str, Field(pattern=NO_NUL)]

# What credentials_app/names.py accepts, as near as a pattern can say it: no control or invisible
# formatting characters (names.py checks every one, these are the ones a pattern can list), and a
# name is more than spaces. A name is counted after NFKC and trimming, which can lengthen it: the
# service has the last word then, answering invalid-input.
_HIDDEN = r"\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u00ad\u061c\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u206f\ufeff"
NAME_PATTERN = rf"^[^\t\n\r{_HIDDEN}]*[^\s{_HIDDEN}][^\t\n\r{_HIDDEN}]*$"
DESCRIPTION_PATTERN = rf"^[^{_HIDDEN}]*$"
Name = Annotated[str, Field(
    min_length=1, max_length=NAME_MAX_LENGTH, pattern=NAME_PATTERN,
    description=f"Up to {NAME_MAX_LENGTH} characters after trimming and Unicode NFKC; not only spaces.",
)]
# A key, a username: something besides spaces.
NOT_BLANK = r"^[^\x00]*[^\s\x00][^\x00]*$"
Description = Annotated[str, Field(max_length=DESCRIPTION_MAX_LENGTH, pattern=DESCRIPTION_PATTERN)]
# Cursors are signed (api/paging.py): only a next_cursor this API gave out is taken.
Cursor = Annotated[str, Field(
    pattern=r"^([A-Za-z0-9_-]+:[A-Za-z0-9_-]+)?$",
    description="The next_cursor of the page before; only a cursor this API gave out is taken (422 otherwise).",
)]

Level = Literal["use", "manage"]
CredentialStatus = Literal[tuple(Credential.Status.values)]
Kind = Literal["source", "destination"]
Role = Literal["admin", "member"]


class Input(Schema):
    """A request body: a JSON object, whatever its fields (ninja's Schema would read any value's attributes)."""

    @model_validator(mode="before")
    @classmethod
    def _an_object(cls, value):
        # ninja's own validator runs first and wraps the parsed body in its attribute reader.
        parsed = value._obj if isinstance(value, DjangoGetter) else value
        if not isinstance(parsed, dict):
            raise ValueError("The body must be a JSON object.")
        return value


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


class CredentialCreateIn(Input):
    provider: ProviderId
    name: Name
    description: Description = ""
    key: str = Field(description="Checked with the provider, stored encrypted, never returned.", pattern=NOT_BLANK)
    settings: dict[str, Text] = {}
    unverified_permit: str = Field("", pattern=NO_NUL, description="The permit of a could-not-check answer: saves the same key unchecked.")
    accept_restricted: bool = Field(False, description="Save a key the provider accepts with limited access.")


class CredentialEditIn(Input):
    name: Name | None = None
    description: Description | None = None


class KeyIn(Input):
    key: str = Field(pattern=NOT_BLANK)


class CheckOut(Schema):
    outcome: Literal["verified", "restricted", "rejected", "could_not_check"]
    message: str
    stored: bool = Field(description="False when the result was not stored (the key changed meanwhile, or it could not be decrypted).")
    credential: CredentialOut


class MoveAndDeleteIn(Input):
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


class ConnectionIn(Input):
    kind: Kind
    provider: ProviderId
    name: Name
    credential: UUID


class ConnectionOut(Schema):
    id: UUID
    kind: Kind
    provider: str
    name: str
    credential: UUID
    credential_name: str
    created_at: datetime


class TeamIn(Input):
    name: Name


class TeamOut(Schema):
    id: UUID
    name: str
    role: Role | None = Field(description="Your role; null for a team token.")
    member_count: int


class MemberIn(Input):
    email: str = Field(description="The email address to invite.", max_length=254, pattern=NO_NUL)
    role: Role = "member"


class InvitationOut(Schema):
    """An invitation made: the same answer whether or not the address has an account here."""

    email: str
    role: Role
    expires_at: datetime
    sent: bool = Field(description="True when the link was mailed to the address.")
    link: str | None = Field(description="The link to pass on, when this install sends no mail.")


class RoleIn(Input):
    role: Role


class MemberOut(Schema):
    id: int
    user: str
    role: Role


class ShareIn(Input):
    team: UUID
    level: Level = "use"


class LevelIn(Input):
    level: Level


Scope = Literal[tuple(ApiToken.Scope.values)]


class TokenIn(Input):
    name: Name
    scopes: list[Scope] = Field(min_length=1, description="No scope the token you use lacks.")
    expires_in_days: int | None = Field(
        DEFAULT_EXPIRY_DAYS, ge=1, le=36500,
        description=(
            "Days until it expires; null for never. No later than the token you use expires; left out, "
            "the default shrinks to the whole days that token has left."
        ),
    )
    team: UUID | None = Field(None, description="A team you administer, for a team token; null for your own.")


class TokenOut(Schema):
    id: UUID
    name: str
    prefix: str = Field(description="The token's first characters, as shown on the API tokens page.")
    team: UUID | None
    scopes: list[str]
    created_by: str | None
    created_at: datetime
    expires_at: datetime | None
    last_used_at: datetime | None
    revoked_at: datetime | None


class TokenCreatedOut(TokenOut):
    token: str = Field(description="The token itself: shown this once, stored only as a hash.")


class MachineReadsIn(Input):
    allowed: bool
    connection_id: str | None = Field(
        None, min_length=1, max_length=100, pattern=r"^[A-Za-z0-9_-]+$",
        description="The id machines read the key by (letters, digits, - and _; unique). Needed while allowed.",
    )


class MachineReadsOut(Schema):
    allowed: bool
    connection_id: str | None

