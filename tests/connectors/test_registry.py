"""Conformance: every registered connector is declared completely and renders in the overlay."""
import inspect
from html.parser import HTMLParser
from itertools import product
from urllib.parse import urlsplit

import pytest

from connectors.base import Outcome, Setting
from connectors.transport.check import ensure_documented
from connectors.registry import CONNECTORS, connectors_for, get_connector
from connectors.sandbox import keys
from connectors.sandbox.emulations import EMULATIONS
from credentials_app.forms import CredentialForm

SECRET = "conformance-secret-1234"


class _FormParts(HTMLParser):
    """Collect the inputs and selects (with their options) of rendered form HTML."""

    def __init__(self):
        super().__init__()
        self.inputs: list[dict] = []
        self.selects: dict[str, list[tuple[str, str, bool]]] = {}
        self.labels: list[str] = []
        self._select: str | None = None
        self._option: dict | None = None
        self._label: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "input":
            self.inputs.append(attrs)
        elif tag == "select":
            self._select = attrs["name"]
            self.selects[self._select] = []
        elif tag == "option":
            self._option = {"value": attrs.get("value"), "selected": "selected" in attrs, "text": ""}
        elif tag == "label":
            self._label = []

    def handle_data(self, data):
        if self._option is not None:
            self._option["text"] += data
        if self._label is not None:
            self._label.append(data)

    def handle_endtag(self, tag):
        if tag == "option" and self._option is not None:
            option = self._option
            self.selects[self._select].append((option["value"], option["text"].strip(), option["selected"]))
            self._option = None
        elif tag == "select":
            self._select = None
        elif tag == "label" and self._label is not None:
            self.labels.append("".join(self._label).strip().removesuffix(":"))
            self._label = None


def _rendered(connector) -> _FormParts:
    parts = _FormParts()
    parts.feed(str(CredentialForm(connector=connector).as_div()))
    return parts


def _every_options(connector):
    names = [setting.name for setting in connector.settings]
    values = [[choice.value for choice in setting.offered] for setting in connector.settings]
    return [dict(zip(names, combination)) for combination in product(*values)]


def test_ids_are_unique_and_registered():
    """Each provider has its own id, and get_connector finds it by that id."""
    ids = [connector.id for connector in CONNECTORS]

    assert ids
    assert len(ids) == len(set(ids))
    assert all(get_connector(provider_id).id == provider_id for provider_id in ids)
    with pytest.raises(KeyError):
        get_connector("unknown")


def test_every_connector_serves_a_documented_flow(connector):
    """A connector is a source and/or a destination, and appears in those catalogs only."""
    assert connector.name and connector.description and connector.key_help
    assert connector.kinds and set(connector.kinds) <= {"source", "destination"}
    for kind in ("source", "destination"):
        assert (connector in connectors_for(kind)) == (kind in connector.kinds)


def test_every_base_url_is_https(connector):
    """A connector only knows HTTPS base URLs."""
    assert connector.base_urls
    assert all(url.startswith("https://") for url in connector.base_urls)


def test_check_request_is_named_and_goes_to_a_documented_host(connector):
    """The check is a declared GET or POST to a documented HTTPS host, for every setting choice."""
    assert connector.check_method in ("GET", "POST")
    for options in _every_options(connector):
        request = connector.build_request(SECRET, connector.clean_options(options))
        assert request.method == connector.check_method
        assert urlsplit(request.url).path.strip("/"), "the check names a resource, not a bare host"
        ensure_documented(connector, request.url)


def test_key_travels_in_exactly_one_documented_place(connector):
    """The key is in one header (or the body), never in the URL or the query."""
    request = connector.build_request(SECRET, connector.clean_options({}))
    in_headers = [name for name, value in request.headers.items() if SECRET in value]
    in_body = SECRET in repr(request.json)

    assert len(in_headers) + int(in_body) == 1
    assert SECRET not in request.url
    assert SECRET not in repr(request.params)
    if in_headers:
        assert in_headers == [connector.auth_header]
        assert request.headers[connector.auth_header] == connector.auth_prefix + SECRET


def test_overlay_renders_one_secret_field(connector):
    """The overlay has exactly one password input, the key, labelled in the provider's words."""
    parts = _rendered(connector)
    passwords = [attrs for attrs in parts.inputs if attrs.get("type") == "password"]

    assert [attrs["name"] for attrs in passwords] == ["key"]
    assert "value" not in passwords[0]
    assert connector.key_label in parts.labels


def test_overlay_renders_a_select_per_setting_with_exactly_the_declared_choices(connector):
    """Each setting is a <select> offering exactly its declared choices, the default selected."""
    parts = _rendered(connector)

    assert set(parts.selects) == {setting.name for setting in connector.settings}
    for setting in connector.settings:
        options = parts.selects[setting.name]
        assert [(value, text) for value, text, _ in options] == list(setting.choices)
        assert [value for value, _, selected in options if selected] == [setting.default]
        assert setting.label in parts.labels


def test_settings_refuse_values_that_are_not_offered(connector):
    """clean_options keeps offered values, fills defaults, and refuses anything else."""
    assert connector.clean_options({}) == {setting.name: setting.default for setting in connector.settings}
    for setting in connector.settings:
        with pytest.raises(ValueError, match=setting.label):
            connector.clean_options({setting.name: "https://evil.example.com"})


def test_setting_default_is_one_of_its_choices():
    """A Setting whose default is not offered would be refused by its own form."""
    for connector in CONNECTORS:
        for setting in connector.settings:
            assert isinstance(setting, Setting)
            assert setting.default in dict(setting.choices)


def test_at_most_one_setting_says_where_the_check_goes(connector):
    """Only one setting's choices carry a base URL, so the check's target is never ambiguous."""
    carrying = [setting.name for setting in connector.settings if any(c.base_url for c in setting.offered)]

    assert len(carrying) <= 1, f"{connector.name}: settings {carrying} all name a base URL"


def test_refusal_wording_is_complete_for_every_choice(connector):
    """Every documented refusal reads as a full sentence for every choice, its {choice} filled in."""
    for options in _every_options(connector):
        cleaned = connector.clean_options(options)
        for status in connector.rejected_messages(cleaned):
            result = connector.rejected(status, cleaned)
            assert (result.outcome, result.status_code) == (Outcome.REJECTED, status)
            assert result.message.endswith(".") and "{" not in result.message, result.message


# --- The sandbox emulates every provider ----------------------------------------
def test_every_documented_host_has_a_sandbox_emulation(connector):
    """Each host a provider documents is emulated by the sandbox, so the shared suite can check it."""
    for url in connector.base_urls:
        host = urlsplit(url).netloc
        assert host in EMULATIONS, (
            f"Provider {connector.name}: host {host} has no emulation in connectors/sandbox/emulations.py; "
            "add one (a function answering as the provider documents, mapped to the host in EMULATIONS)."
        )


def test_every_choice_is_verified_by_a_sandbox_key(connector, check):
    """For every combination of settings, a documented sandbox key verifies: each target is reachable."""
    candidates = [keys.VALID] + [key for provider, key, _ in keys.TABLE if provider == connector.name]
    for options in _every_options(connector):
        outcomes = [check(connector, key, options).outcome for key in candidates]
        assert Outcome.VERIFIED in outcomes, (
            f"Provider {connector.name}: no sandbox key verifies with {options}; add one to "
            f"connectors/sandbox/keys.py with a TABLE row naming {connector.name}, and accept it in its emulation."
        )


def test_sandbox_key_table_names_only_registered_providers():
    """Each provider-specific sandbox key belongs to a registered provider; the rest apply to all."""
    names = {connector.name for connector in CONNECTORS}

    assert {provider for provider, _, _ in keys.TABLE} <= names | {"All"}


def test_a_provider_module_is_short_unless_its_protocol_needs_code():
    """A provider that overrides nothing is a declaration of at most 40 lines; any code it has is explained."""
    for connector in CONNECTORS:
        cls = type(connector)
        overrides = {name: value for name, value in vars(cls).items() if inspect.isfunction(value)}
        if not overrides:
            lines = inspect.getsource(inspect.getmodule(cls)).splitlines()
            assert len(lines) <= 40, f"{cls.__module__} is {len(lines)} lines; declare it as data on Connector"
        for name, method in overrides.items():
            source = inspect.getsource(method)
            assert method.__doc__ or "#" in source, f"{cls.__name__}.{name} needs a docstring or comment"
