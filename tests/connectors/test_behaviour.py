"""One behaviour suite, run for every registered provider against the real HTTPS sandbox."""
import logging
from dataclasses import replace

import pytest
import requests

from connectors.base import KeyFormatError, Outcome, ProviderResponse
from connectors.sandbox import keys
from connectors.sandbox.tls import make_loopback_certificate


def test_valid_key_is_verified(connector, check, sandbox_server):
    """The documented test key is Verified, after exactly one request to the provider."""
    result = check(connector, keys.VALID)

    assert result.outcome == Outcome.VERIFIED
    assert result.status_code == 200
    assert len(sandbox_server.state.requests) == 1


def test_unknown_key_is_rejected(connector, check):
    """A key the provider does not know is Rejected, with a message saying what to do."""
    result = check(connector, keys.REJECTED)

    assert result.outcome == Outcome.REJECTED
    assert result.message


def test_a_key_revoked_at_the_provider_is_rejected_until_restored(connector, check, sandbox_server):
    """Revoked in the emulated provider's dashboard, a working key is refused as an unknown one; restored, it works."""
    control = f"{sandbox_server.url}/_sandbox"
    answer = requests.post(f"{control}/revoke", json={"key": keys.VALID}, verify=sandbox_server.ca_bundle, timeout=5)
    try:
        assert answer.json() == {"revoked": [keys.VALID]}
        revoked = check(connector, keys.VALID)
    finally:
        requests.post(f"{control}/restore", json={"key": keys.VALID}, verify=sandbox_server.ca_bundle, timeout=5)

    assert revoked.outcome == Outcome.REJECTED
    assert check(connector, keys.VALID).outcome == Outcome.VERIFIED


def test_slow_provider_times_out_as_could_not_check(connector, check, sandbox_config, awaited_read_timeout):
    """A provider that answers after the read timeout gives Could not check, saying it was slow."""
    result = check(connector, keys.SLOW, config=replace(sandbox_config, read_timeout=awaited_read_timeout))

    assert result.outcome == Outcome.COULD_NOT_CHECK
    assert "did not answer in time" in result.message
    assert f"read {awaited_read_timeout:g} s" in result.message


def test_a_dripping_answer_stops_at_the_check_deadline(connector, check, sandbox_config, sandbox_server):
    """A valid answer dripped out slower than the whole check may take is Could not check, on time.

    Each drip arrives within the read timeout, so only the total deadline (connect + read) stops it.
    """
    config = replace(sandbox_config, connect_timeout=0.3, read_timeout=0.3)
    assert config.connect_timeout + config.read_timeout < sandbox_server.state.trickle_seconds * 0.9

    result = check(connector, keys.TRICKLE, config=config)

    assert result.outcome == Outcome.COULD_NOT_CHECK
    assert "did not answer in time" in result.message
    assert len(sandbox_server.state.requests) == 1, "the request was sent: no connect timeout"


def test_a_dripping_answer_within_the_deadline_is_verified(connector, check, sandbox_config, sandbox_server):
    """The same answer verifies the key when the deadline leaves room for the sandbox's trickle delay."""
    config = replace(sandbox_config, connect_timeout=0.5, read_timeout=sandbox_server.state.trickle_seconds + 0.5)

    assert check(connector, keys.TRICKLE, config=config).outcome == Outcome.VERIFIED


def test_a_tls_stream_broken_mid_answer_is_could_not_check(connector, check):
    """A corrupt TLS record after the provider started answering ends the check cleanly, never a crash."""
    result = check(connector, keys.BROKEN_TLS)

    assert result.outcome == Outcome.COULD_NOT_CHECK
    assert "broke while" in result.message


def test_rate_limit_says_when_to_retry_from_retry_after(connector, check):
    """A 429 gives Could not check and carries the provider's Retry-After."""
    result = check(connector, keys.RATE_LIMITED)

    assert result.outcome == Outcome.COULD_NOT_CHECK
    assert result.status_code == 429
    assert result.retry_after == keys.RETRY_AFTER_SECONDS
    assert f"in {keys.RETRY_AFTER_SECONDS} seconds" in result.message


def test_server_error_is_could_not_check_on_their_side(connector, check):
    """A 5xx is not the key's fault: Could not check, saying the error is on the provider's side."""
    result = check(connector, keys.SERVER_ERROR)

    assert result.outcome == Outcome.COULD_NOT_CHECK
    assert result.status_code == 503
    assert "server error" in result.message


def test_answer_in_an_undocumented_shape_never_counts_as_verified(connector, check):
    """An HTML page with HTTP 200 is not proof of a valid key: Could not check."""
    result = check(connector, keys.BAD_BODY)

    assert result.outcome == Outcome.COULD_NOT_CHECK
    assert "not in the shape" in result.message


def test_an_answer_nested_past_the_decoder_is_could_not_check(connector):
    """A 200 whose JSON nests deeper than the decoder follows proves nothing: Could not check, no crash."""
    nested = ProviderResponse(200, {}, b"[" * 100_000 + b"]" * 100_000)

    result = connector.interpret(nested, connector.clean_options({}))

    assert result.outcome == Outcome.COULD_NOT_CHECK
    assert "not in the shape" in result.message


def test_redirect_is_not_followed(connector, check, sandbox_server):
    """A 302 is reported, and the key is not sent on to where it points."""
    result = check(connector, keys.REDIRECT)

    assert result.outcome == Outcome.COULD_NOT_CHECK
    assert result.status_code == 302
    assert "redirect" in result.message
    assert len(sandbox_server.state.requests) == 1
    assert not any(path == "/redirected" for _, _, path in sandbox_server.state.requests)


def test_body_is_read_only_up_to_the_cap_after_decoding(connector, check, sandbox_server):
    """A success answer larger than the cap is not read whole, so it cannot verify the key.

    The cap counts decoded bytes: a small gzip answer that inflates past it is cut, no decompression bomb.
    """
    result = check(connector, keys.HUGE_BODY)

    assert result.outcome == Outcome.COULD_NOT_CHECK
    assert "more data than this check ever needs" in result.message
    [sent] = sandbox_server.state.gzipped_sizes
    assert sent < 256 * 1024 < keys.HUGE_BODY_BYTES


def test_body_under_a_larger_cap_is_read(connector, check, sandbox_config):
    """The same answer verifies the key when the cap allows it: the cap alone made the difference."""
    roomy = replace(sandbox_config, max_body_bytes=keys.HUGE_BODY_BYTES + 64 * 1024)

    assert check(connector, keys.HUGE_BODY, config=roomy).outcome == Outcome.VERIFIED


def test_certificate_from_an_unknown_ca_is_refused(connector, check, sandbox_config, sandbox_server, tmp_path):
    """TLS verified against the wrong CA fails: Could not check, the message names the certificate."""
    other_ca = make_loopback_certificate(tmp_path).ca_bundle
    result = check(connector, keys.VALID, config=replace(sandbox_config, sandbox_ca_bundle=str(other_ca)))

    assert result.outcome == Outcome.COULD_NOT_CHECK
    assert "certificate" in result.message
    assert "REQUESTS_CA_BUNDLE" in result.message
    assert sandbox_server.state.requests == []


def test_requests_ca_bundle_is_honoured(connector, check, sandbox_config, sandbox_server, monkeypatch):
    """With no sandbox CA configured, REQUESTS_CA_BUNDLE (e.g. an inspecting proxy's CA) verifies TLS."""
    without_ca = replace(sandbox_config, sandbox_ca_bundle=None)
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", sandbox_server.ca_bundle)

    assert check(connector, keys.VALID, config=without_ca).outcome == Outcome.VERIFIED


def test_https_proxy_variable_is_honoured(connector, check, sandbox_server, monkeypatch):
    """HTTPS_PROXY applies to checks: an unreachable proxy means Could not check, naming the setting."""
    for name in ("NO_PROXY", "no_proxy", "HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HTTPS_PROXY", "http://127.0.0.1:9")  # the discard port: nothing listens

    result = check(connector, keys.VALID)

    assert result.outcome == Outcome.COULD_NOT_CHECK
    assert "HTTPS_PROXY" in result.message
    assert sandbox_server.state.requests == []


def test_missing_ca_bundle_is_could_not_check(connector, check, sandbox_config, sandbox_server, tmp_path):
    """A CA bundle path that does not exist gives Could not check naming the setting, not a crash."""
    missing = replace(sandbox_config, sandbox_ca_bundle=str(tmp_path / "absent.pem"))
    result = check(connector, keys.VALID, config=missing)

    assert result.outcome == Outcome.COULD_NOT_CHECK
    assert "PROVIDER_SANDBOX_CA_BUNDLE" in result.message
    assert sandbox_server.state.requests == []


def test_plain_http_sandbox_is_refused(connector, check, sandbox_config, sandbox_server):
    """Even the sandbox must be HTTPS: an http:// sandbox URL sends nothing."""
    insecure = replace(sandbox_config, sandbox_url=sandbox_server.url.replace("https://", "http://"))
    result = check(connector, keys.VALID, config=insecure)

    assert result.outcome == Outcome.COULD_NOT_CHECK
    assert "https://" in result.message
    assert sandbox_server.state.requests == []


# --- Input hygiene ----------------------------------------------------------
def test_surrounding_whitespace_is_trimmed(connector, check):
    """A key pasted with spaces, tabs or a trailing newline is trimmed and verifies."""
    assert check(connector, f" \t{keys.VALID} \n").outcome == Outcome.VERIFIED


def test_pasted_bearer_prefix_is_stripped_where_the_scheme_adds_one(connector, check):
    """ "Bearer <key>" verifies where the provider's scheme adds "Bearer "; elsewhere it is refused."""
    pasted = f"Bearer {keys.VALID}"
    if connector.auth_prefix.strip() == "Bearer":
        assert check(connector, pasted).outcome == Outcome.VERIFIED
        assert check(connector, f"bearer  {keys.VALID}").outcome == Outcome.VERIFIED
    else:
        with pytest.raises(KeyFormatError, match="spaces"):
            connector.normalize_key(pasted)


@pytest.mark.parametrize("injected", ["\r\nX-Injected: 1", "\nX-Injected: 1", "\x00", "\x1b[0m"])
def test_control_characters_are_refused_with_a_clear_message(connector, injected):
    """A key holding CR/LF or another control character is refused before any request."""
    with pytest.raises(KeyFormatError, match="line break or another control character") as raised:
        connector.normalize_key(keys.VALID + injected + "tail")

    assert keys.VALID not in str(raised.value)


@pytest.mark.parametrize("empty", ["", "   ", "\n\t"])
def test_empty_key_is_refused(connector, empty):
    """An empty or blank key is refused, naming the field the user must fill."""
    with pytest.raises(KeyFormatError, match=f"Enter the {connector.key_label}"):
        connector.normalize_key(empty)


# --- The key stays secret ---------------------------------------------------
@pytest.fixture
def debug_logs(caplog):
    """Capture every log line at DEBUG, urllib3's request lines included (settings quiet them)."""
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.DEBUG, logger="urllib3")
    return caplog


@pytest.mark.parametrize(
    "key",
    [keys.VALID, keys.REJECTED, keys.SLOW, keys.RATE_LIMITED, keys.SERVER_ERROR, keys.BAD_BODY, keys.REDIRECT],
)
def test_key_never_appears_in_message_logs_or_url(
    connector, check, sandbox_config, sandbox_server, debug_logs, key, awaited_read_timeout
):
    """Whatever the outcome, the key is not in the message, in any log line, or in the URL sent."""
    # Only the slow key's timeout is awaited: every other key gets its answer, and its message is read.
    config = replace(sandbox_config, read_timeout=awaited_read_timeout) if key == keys.SLOW else sandbox_config
    result = check(connector, key, config=config)

    assert key not in result.message
    assert any(record.name.startswith("urllib3") for record in debug_logs.records)
    assert key not in debug_logs.text
    assert sandbox_server.state.targets, "the request reached the sandbox"
    assert not any(key in target for target in sandbox_server.state.targets)


def test_key_never_appears_when_tls_fails(connector, check, sandbox_config, tmp_path, debug_logs):
    """A TLS failure's exception text (which names the URL) never carries the key either."""
    other_ca = make_loopback_certificate(tmp_path).ca_bundle

    result = check(connector, keys.VALID, config=replace(sandbox_config, sandbox_ca_bundle=str(other_ca)))

    assert keys.VALID not in result.message
    assert keys.VALID not in debug_logs.text
