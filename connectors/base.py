"""The shared connector base: a provider is declared as data and overrides only what differs."""
import json
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from enum import StrEnum
from typing import Any


class Outcome(StrEnum):
    """What a check against the provider concluded."""

    VERIFIED = "verified"
    # The key is valid but may not read what the check reads (Custify's 403).
    RESTRICTED = "restricted"
    REJECTED = "rejected"
    COULD_NOT_CHECK = "could_not_check"

    @property
    def label(self) -> str:
        """Return the outcome in the users' words."""
        return _OUTCOME_LABELS[self]


_OUTCOME_LABELS = {
    Outcome.VERIFIED: "Verified",
    Outcome.RESTRICTED: "Verified, with limited access",
    Outcome.REJECTED: "Rejected",
    Outcome.COULD_NOT_CHECK: "Could not check",
}


@dataclass(frozen=True)
class ValidationResult:
    """The outcome of one check, with a message in the provider's terms; never holds the key."""

    outcome: Outcome
    message: str
    status_code: int | None = None
    retry_after: int | None = None
    duration_ms: int | None = None
    # The setting a refusal is about (TIXY's token type, People.ai's environment), if any.
    field: str | None = None

    @property
    def is_verified(self) -> bool:
        return self.outcome == Outcome.VERIFIED


class KeyFormatError(ValueError):
    """The key as typed cannot be a key: empty, or holding control characters."""


@dataclass(frozen=True)
class Choice:
    """One option of a Setting. An option with a base_url is a check target: choosing it sends the
    check there, to its own check_path and check_params when it declares them (None keeps the
    provider's), and its rejected_statuses word a refusal on that target."""

    value: str
    label: str
    base_url: str = ""
    check_path: str | None = None
    check_params: Mapping[str, Any] | None = None
    rejected_statuses: Mapping[int, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Setting:
    """A provider-specific choice shown in the overlay, e.g. People.ai's environment (its base URL)."""

    name: str
    label: str
    offered: tuple[Choice, ...]
    default: str
    help_text: str = ""

    @property
    def choices(self) -> tuple[tuple[str, str], ...]:
        """Return the (value, label) pairs a form's ChoiceField takes."""
        return tuple((choice.value, choice.label) for choice in self.offered)

    def clean(self, value: str | None) -> str:
        """Return value if it is one of the declared choices, the default if empty; else raise."""
        if value in (None, ""):
            return self.default
        if value not in {choice.value for choice in self.offered}:
            raise ValueError(f"{self.label}: choose one of the listed options.")
        return value

    def chosen(self, value: str | None) -> Choice:
        """Return the Choice value selects (the default's when empty); raise if it is not offered."""
        value = self.clean(value)
        return next(choice for choice in self.offered if choice.value == value)

    def label_for(self, value: str) -> str:
        return dict(self.choices).get(value, value)


@dataclass(frozen=True)
class CheckRequest:
    """One HTTP request that proves a key works; the key sits only in headers or json."""

    method: str
    url: str
    headers: dict[str, str] = field(default_factory=dict)
    params: dict[str, Any] | None = None
    json: dict[str, Any] | None = None


@dataclass(frozen=True)
class ProviderResponse:
    """What the provider answered, with the body read only up to a cap."""

    status: int
    headers: Mapping[str, str]
    body: bytes
    truncated: bool = False

    def json(self) -> Any:
        """Return the decoded JSON body, or None when it is not JSON or was cut at the cap."""
        if self.truncated:
            return None
        try:
            return json.loads(self.body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError, RecursionError):
            # RecursionError: JSON nested deeper than the decoder will go proves nothing either.
            return None


class Connector:
    """A provider whose API keys we can check.

    Declare a provider with class attributes:
    - id, name: the stable identifier stored with credentials, and the provider's own name.
    - kinds: "source" and/or "destination", the flows the provider can serve.
    - key_label, key_help: the label of the secret field and where the user finds the key.
    - base_urls: every documented HTTPS base URL; requests go nowhere else. The base URLs of
      target choices (see Choice) are added to it, so the allow-list cannot drift from them.
    - auth_header, auth_prefix: the header that carries the key and what precedes it.
    - key_in_body: True for a provider that takes the key in the JSON request body instead (it has no
      auth_header and overrides inject_key); the proxy then reads the caller's JSON body to add it.
    - check_method, check_path, check_params: a cheap read that needs a valid key, sent to
      base_urls[0] unless a setting's chosen Choice names another target.
    - body_types, expected_keys: the JSON types a documented success body may be, and the
      top-level keys it has when it is an object.
    - rejected_statuses: HTTP statuses the provider documents for a refused key, with our message;
      "{choice}" in a message is replaced by the label of the chosen target (e.g. "Staging").
    - restricted_statuses: statuses that mean a valid key which may not read what the check reads.
    - default_retry_after: seconds to wait after a 429 without Retry-After, if documented.
    - invalid_key_statuses, invalid_key_marker: the answer to any call (not only the check) that
      means the key itself is invalid: one of these statuses and, when a marker is declared, the
      marker near the start of the body (Moshtix answers 200 with an error). The app confirms such
      an answer seen through the proxy with one check.
    - settings: provider-specific choices shown in the overlay; at most one carries targets.
    """

    id: str = ""
    name: str = ""
    description: str = ""
    kinds: tuple[str, ...] = ("source",)
    key_label: str = "API Key"
    key_help: str = ""
    base_urls: tuple[str, ...] = ()
    auth_header: str = ""
    auth_prefix: str = ""
    key_in_body: bool = False
    check_method: str = "GET"
    check_path: str = ""
    check_params: Mapping[str, Any] = {}
    body_types: tuple[type, ...] = (dict,)
    expected_keys: tuple[str, ...] = ()
    rejected_statuses: Mapping[int, str] = {}
    restricted_statuses: Mapping[int, str] = {}
    default_retry_after: int | None = None
    invalid_key_statuses: tuple[int, ...] = (401,)
    invalid_key_marker: bytes = b""
    settings: tuple[Setting, ...] = ()

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        targets = (choice.base_url for setting in cls.settings for choice in setting.offered)
        cls.base_urls = tuple(dict.fromkeys((*cls.base_urls, *filter(None, targets))))

    # --- Input --------------------------------------------------------------
    def clean_options(self, raw: Mapping[str, Any]) -> dict[str, str]:
        """Return the provider settings from raw input, refusing values that are not offered."""
        return {setting.name: setting.clean(raw.get(setting.name)) for setting in self.settings}

    def normalize_key(self, raw: str) -> str:
        """Return the key as the provider expects it: trimmed, without a pasted auth prefix."""
        key = (raw or "").strip()
        prefix = self.auth_prefix.strip()
        if prefix and key.lower().startswith(prefix.lower() + " "):
            key = key[len(prefix) :].strip()
        if not key:
            raise KeyFormatError(f"Enter the {self.key_label}.")
        if any(unicodedata.category(char) == "Cc" for char in key):
            raise KeyFormatError(
                f"The {self.key_label} contains a line break or another control character. "
                "Copy it again and paste it on one line."
            )
        if any(char.isspace() or not char.isascii() for char in key):
            raise KeyFormatError(
                f"The {self.key_label} contains spaces or characters an API key never has. "
                "Copy it again from the provider."
            )
        return key

    # --- The check request --------------------------------------------------
    def target(self, options: Mapping[str, str]) -> Choice | None:
        """Return the chosen Choice that says where the check goes, or None if the class says it."""
        for setting in self.settings:
            choice = setting.chosen(options.get(setting.name))
            if choice.base_url:
                return choice
        return None

    def declared(self, attribute: str, options: Mapping[str, str]) -> Any:
        """Return attribute as the chosen target declares it, or as the class does when it does not."""
        value = getattr(self.target(options), attribute, None)
        return getattr(self, attribute) if value is None else value

    def base_url(self, options: Mapping[str, str]) -> str:
        """Return the base URL the check goes to for these settings."""
        target = self.target(options)
        return target.base_url if target else self.base_urls[0]

    def check_url(self, options: Mapping[str, str]) -> str:
        return self.base_url(options) + self.declared("check_path", options)

    def build_request(self, key: str, options: Mapping[str, str]) -> CheckRequest:
        """Return the check request carrying key where the provider documents it (see inject_key)."""
        headers = {"Accept": "application/json"}
        body = self.inject_key(key, headers, self.check_body(options))
        return CheckRequest(
            method=self.check_method,
            url=self.check_url(options),
            headers=headers,
            params=self.check_query(options) or None,
            json=body,
        )

    def inject_key(self, key: str, headers: dict[str, str], body: dict[str, Any] | None) -> dict[str, Any] | None:
        """Put key where the provider reads it; return the JSON body to send.

        The one place a key is added to a request, for the check and for every proxied call alike:
        here, in auth_header after auth_prefix (headers is changed in place; body comes back as it
        is). A provider with key_in_body overrides this to put the key into body instead.
        """
        headers[self.auth_header] = self.auth_prefix + key
        return body

    def check_query(self, options: Mapping[str, str]) -> dict[str, Any]:
        """Return the query parameters of the check request."""
        return dict(self.declared("check_params", options))

    def check_body(self, options: Mapping[str, str]) -> dict[str, Any] | None:
        """Return the JSON body of the check request (before inject_key), for providers that read one."""
        return None

    def precheck(self, key: str, options: Mapping[str, str]) -> ValidationResult | None:
        """Return a result without asking the provider when the key alone decides it."""
        return None

    def key_expiry(self, key: str) -> datetime | None:
        """Return when key stops working, if the key itself says (a JWT's exp); None otherwise."""
        return None

    # --- Reading the answer -------------------------------------------------
    def says_key_invalid(self, status: int, head: bytes) -> bool:
        """Return whether an answer with status, whose body starts with head, says the key is invalid."""
        return status in self.invalid_key_statuses and self.invalid_key_marker in head

    def interpret(self, response: ProviderResponse, options: Mapping[str, str]) -> ValidationResult:
        """Return the outcome the provider's answer means, as its API documents it."""
        status = response.status
        if status in self.rejected_messages(options):
            return self.rejected(status, options)
        if status in self.restricted_statuses:
            return ValidationResult(Outcome.RESTRICTED, self.restricted_statuses[status], status)
        if status == 429:
            return self.rate_limited(response)
        if 300 <= status < 400:
            return self.could_not_check(
                f"{self.name} answered with a redirect (HTTP {status}), which is never followed, so "
                "the key was not sent on. A proxy or captive portal may be in the way: check this "
                "server's network, then try again.",
                status,
            )
        if status >= 500:
            return self.could_not_check(
                f"{self.name} had a server error (HTTP {status}). This is on their side: try again "
                "in a few minutes.",
                status,
            )
        if 200 <= status < 300:
            if response.truncated:
                return self.could_not_check(
                    f"{self.name} answered with more data than this check ever needs, so the answer "
                    "was not read and the key could not be confirmed. Try again later.",
                    status,
                )
            return self.interpret_body(response.json(), options, status)
        return self.could_not_check(
            f"{self.name} answered HTTP {status}, which its API does not document for this check.",
            status,
        )

    def interpret_body(self, data: Any, options: Mapping[str, str], status: int) -> ValidationResult:
        """Return the outcome a successful answer's decoded body (None if not JSON) means."""
        if self.body_is_valid(data):
            return ValidationResult(Outcome.VERIFIED, f"{self.name} accepted the key.", status)
        return self.unexpected_body(status)

    def body_is_valid(self, data: Any) -> bool:
        """Return True if data has the documented shape of a successful check."""
        if isinstance(data, dict):
            return dict in self.body_types and all(key in data for key in self.expected_keys)
        return isinstance(data, self.body_types)

    def rejected_messages(self, options: Mapping[str, str]) -> dict[int, str]:
        """Return the refusal wording for these settings: the chosen target's over the class's."""
        target = self.target(options)
        return {**self.rejected_statuses, **(target.rejected_statuses if target else {})}

    def target_setting(self, options: Mapping[str, str]) -> Setting | None:
        """Return the Setting whose chosen option says where the check goes, if any."""
        return next((s for s in self.settings if s.chosen(options.get(s.name)).base_url), None)

    def rejected(self, status: int, options: Mapping[str, str]) -> ValidationResult:
        target = self.target(options)
        template = self.rejected_messages(options)[status]
        # A refusal worded for the chosen target (its own wording, or one naming it) is about that
        # setting, so the form marks the setting; any other refusal is about the key.
        about_setting = target is not None and (status in target.rejected_statuses or "{choice}" in template)
        field = self.target_setting(options).name if about_setting else "key"
        message = template.format(choice=target.label if target else self.name)
        return ValidationResult(Outcome.REJECTED, message, status, field=field)

    def rate_limited(self, response: ProviderResponse) -> ValidationResult:
        retry_after = parse_retry_after(response.headers.get("Retry-After"))
        if retry_after is None:
            retry_after = self.default_retry_after
        if retry_after is None:
            when = "in a minute"
        else:
            when = f"in {retry_after} second{'' if retry_after == 1 else 's'}"
        return ValidationResult(
            Outcome.COULD_NOT_CHECK,
            f"{self.name} is rate-limiting requests (HTTP 429). Try again {when}.",
            429,
            retry_after=retry_after,
        )

    def unexpected_body(self, status: int) -> ValidationResult:
        return self.could_not_check(
            f"{self.name} answered, but not in the shape its API documents, so the key could not "
            "be confirmed. Try again later.",
            status,
        )

    def could_not_check(self, message: str, status: int | None = None) -> ValidationResult:
        return ValidationResult(Outcome.COULD_NOT_CHECK, message, status)


def parse_retry_after(value: str | None) -> int | None:
    """Return Retry-After as whole seconds from now (delta-seconds or HTTP-date), or None."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return int(value)
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return max(0, int((moment - datetime.now(timezone.utc)).total_seconds()))
