"""Fuzz the Add Credential overlay and key normalisation: no server error, and the key never comes back.

Bounded (a fixed number of examples, no deadline) so the run takes seconds; every check goes to the
local sandbox.
"""
import json
from urllib.parse import urlencode

import pytest
from django.urls import reverse
from hypothesis import HealthCheck, given, settings as hypothesis_settings, strategies as st

from connectors.base import KeyFormatError
from connectors.registry import CONNECTORS

pytestmark = pytest.mark.django_db

BOUNDED = hypothesis_settings(
    max_examples=150, deadline=None, derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
# A prefix that makes the key findable in any answer, whatever random text follows it.
MARKER = "fzk9Q"

field_text = st.one_of(
    st.text(max_size=40),
    st.text(alphabet=st.characters(codec="utf-8"), min_size=90, max_size=700),
    st.sampled_from(["", " ", "\x00", "\r\n", "\u202e", "\ufeff", "𝔘𝔫𝔦", "a" * 5000]),
)
# Mostly well-formed values, so that many examples get past the form to the check.
plausible_text = st.one_of(st.just("Box office"), field_text)
# Each body encoding with each declared charset, drawn as one choice so every pair comes up.
encodings = st.sampled_from([
    (multipart, charset)
    for multipart in (False, True)
    for charset in ("", "; charset=utf-8", "; charset=UTF8", "; charset=latin-1", "; charset=rot13",
                    "; charset=utf-16", "; charset=nonsense", "; charset=")
])


BOUNDARY = "fuzzboundary"


def _multipart(fields: dict) -> bytes:
    parts = [
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'.encode()
        + value.encode("utf-8", errors="surrogatepass") + b"\r\n"
        for name, value in fields.items()
    ]
    return b"".join(parts) + f"--{BOUNDARY}--\r\n".encode()


@pytest.fixture
def signed_in(client, user_factory, settings, sandbox):
    # The fuzzer is one user checking many keys: lift the budgets so every example reaches the check.
    settings.CHECK_BUDGET_PER_USER = settings.CHECK_BUDGET_PER_PROVIDER = 10_000
    client.force_login(user_factory())
    client.raise_request_exception = False
    return client


@given(
    connector=st.sampled_from(CONNECTORS),
    key_tail=st.one_of(st.text(max_size=60), st.sampled_from(["_valid_key", "_rejected_key", "_error_key"])),
    name=plausible_text,
    description=plausible_text,
    token=st.one_of(st.uuids().map(str), field_text),
    save_unverified=st.one_of(st.just(""), field_text),
    accept_restricted=st.sampled_from(["", "on", "true", "0", "x"]),
    option_values=st.lists(field_text, max_size=3),
    encoding=encodings,
)
@BOUNDED
def test_the_overlay_never_fails_and_never_echoes_the_key(
    signed_in, connector, key_tail, name, description, token, save_unverified, accept_restricted, option_values,
    encoding,
):
    """Whatever the fields, lengths, characters or charset: a 2xx/4xx answer without the key in it."""
    key = MARKER + key_tail
    multipart, charset = encoding
    fields = {"name": name, "description": description, "key": key, "creation_token": token,
              "save_unverified": save_unverified, "accept_restricted": accept_restricted}
    for setting, value in zip(connector.settings, option_values):
        fields[setting.name] = value
    if multipart:
        body, content_type = _multipart(fields), f"multipart/form-data; boundary={BOUNDARY}{charset}"
    else:
        body = urlencode(fields, encoding="utf-8", errors="surrogatepass").encode()
        content_type = f"application/x-www-form-urlencoded{charset}"

    response = signed_in.generic(
        "POST", reverse("credential_add", args=[connector.kinds[0], connector.id]), body, content_type=content_type
    )

    assert response.status_code < 500
    raw = response.content.decode("utf-8", errors="replace")
    assert key not in raw
    if response.get("Content-Type", "").startswith("application/json"):
        assert key not in json.dumps(response.json(), ensure_ascii=False)


def _refusal_wordings(connector) -> list[str]:
    """Return the refusals normalize_key gives for inputs that hold no key text: its fixed wording."""
    wordings = []
    for raw in ("", "a\nb", "\u00e9"):
        try:
            connector.normalize_key(raw)
        except KeyFormatError as refusal:
            wordings.append(str(refusal))
    return wordings


@pytest.mark.parametrize("connector", CONNECTORS, ids=lambda connector: connector.id)
@given(raw=st.one_of(st.text(), st.binary().map(lambda data: data.decode("latin-1")), st.text(max_size=5000)))
@hypothesis_settings(max_examples=300, deadline=None, derandomize=True)
def test_key_normalisation_returns_a_clean_key_or_refuses_without_echoing_it(connector, raw):
    """normalize_key gives a non-empty ASCII key without spaces, or a KeyFormatError that does not quote it."""
    try:
        key = connector.normalize_key(raw)
    except KeyFormatError as refusal:
        # Shorter text can occur in any sentence, and so can words of the refusals' own fixed wording.
        if len(raw.strip()) >= 8 and not any(raw.strip() in wording for wording in _refusal_wordings(connector)):
            assert raw.strip() not in str(refusal)
        return
    assert key and key.isascii() and not any(char.isspace() for char in key)
    assert key in raw
