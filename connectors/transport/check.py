"""Send a connector's check request: HTTPS to documented hosts only, timeouts, no redirects."""
import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass, replace
from urllib.parse import urlsplit

import requests
import urllib3

from connectors.base import CheckRequest, Connector, ProviderResponse, ValidationResult

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class HttpConfig:
    """How checks reach providers; built by the caller from its own settings."""

    connect_timeout: float = 5.0
    read_timeout: float = 20.0
    max_body_bytes: int = 256 * 1024
    # When set, requests to a documented host go to {sandbox_url}/{host}/{path} instead: a local
    # emulation of the provider. Still HTTPS, verified against sandbox_ca_bundle.
    sandbox_url: str = ""
    sandbox_ca_bundle: str | None = None


class AnswerBroken(requests.exceptions.ConnectionError):
    """The connection broke, or the answer was garbled, after the provider had started answering."""


class UndocumentedHostError(RuntimeError):
    """A check request was about to leave for a URL the provider does not document."""


def build_session() -> requests.Session:
    """Return the one session shape every outbound call uses.

    trust_env stays on so REQUESTS_CA_BUNDLE and the proxy variables apply. Redirects are refused
    per request (allow_redirects=False); max_redirects stays as is, because at 0 requests raises
    TooManyRedirects on any 3xx and the user would read "could not connect" instead of "redirect".
    """
    return requests.Session()


def ensure_documented(connector: Connector, url: str) -> None:
    """Raise unless url is HTTPS under one of the connector's documented base URLs."""
    if not url.startswith("https://"):
        raise UndocumentedHostError(f"{connector.name}: only HTTPS URLs are allowed.")
    if not any(url == base or url.startswith(base.rstrip("/") + "/") for base in connector.base_urls):
        raise UndocumentedHostError(f"{connector.name}: {urlsplit(url).netloc} is not a documented host.")


def route(url: str, config: HttpConfig) -> str:
    """Return the URL to send to: the documented one, or its sandbox twin."""
    if not config.sandbox_url:
        return url
    parts = urlsplit(url)
    return f"{config.sandbox_url.rstrip('/')}/{parts.netloc}{parts.path}"


def check_key(
    connector: Connector,
    key: str,
    options: Mapping[str, str],
    config: HttpConfig,
    session: requests.Session | None = None,
) -> ValidationResult:
    """Return what the provider says of key: Verified, Rejected, Restricted or Could not check.

    key must already be normalised (Connector.normalize_key). The key is never logged and never
    appears in a message: messages are ours, not the transport's.
    """
    started = time.monotonic()
    result = connector.precheck(key, options)
    if result is None:
        request = connector.build_request(key, options)
        ensure_documented(connector, request.url)
        result = _send(connector, request, options, config, session or build_session())
    duration_ms = int((time.monotonic() - started) * 1000)
    logger.info(
        "checked %s key: %s (HTTP %s) in %d ms",
        connector.id, result.outcome, result.status_code, duration_ms,
    )
    return replace(result, duration_ms=duration_ms)


def _send(connector, request: CheckRequest, options, config: HttpConfig, session) -> ValidationResult:
    host = urlsplit(request.url).netloc
    if config.sandbox_url and not config.sandbox_url.startswith("https://"):
        # The sandbox stands in for the provider, so it gets the same rule: the key never goes out in clear.
        return connector.could_not_check(
            "The provider sandbox URL must start with https://, so the key was not sent."
        )
    verify = config.sandbox_ca_bundle if config.sandbox_url and config.sandbox_ca_bundle else True
    # An answer still arriving once the connect and read timeouts together have passed is abandoned:
    # checked between drips, so at worst one read timeout later.
    deadline = time.monotonic() + config.connect_timeout + config.read_timeout
    try:
        with session.request(
            request.method,
            route(request.url, config),
            headers=request.headers,
            params=request.params,
            json=request.json,
            timeout=(config.connect_timeout, config.read_timeout),
            allow_redirects=False,
            stream=True,
            verify=verify,
        ) as raw:
            response = _read_capped(raw, config.max_body_bytes, deadline)
    except requests.exceptions.SSLError:
        return connector.could_not_check(
            f"The TLS certificate of {host} could not be verified, so the key was not sent. If your "
            "network inspects HTTPS, point REQUESTS_CA_BUNDLE at its CA certificate."
        )
    except requests.exceptions.Timeout:
        return connector.could_not_check(
            f"{connector.name} did not answer in time (connect {config.connect_timeout:g} s, read "
            f"{config.read_timeout:g} s). Its first request after a quiet period can be slow: try again."
        )
    except AnswerBroken:
        return connector.could_not_check(
            f"The connection to {host} broke while {connector.name} was answering, so the key could not "
            "be confirmed. Try again; if it keeps happening, a proxy may be interfering."
        )
    except (requests.exceptions.ConnectionError, requests.exceptions.TooManyRedirects):
        return connector.could_not_check(
            f"Could not connect to {host}. Check this server's network, DNS and proxy settings "
            "(HTTPS_PROXY, NO_PROXY), then try again."
        )
    except requests.exceptions.RequestException:
        return connector.could_not_check(f"The request to {host} failed before {connector.name} answered.")
    except OSError:
        # requests raises a bare OSError when the CA bundle it was told to use cannot be read.
        return connector.could_not_check(
            f"The CA certificates to verify {host} could not be read, so the key was not sent. Check "
            "that REQUESTS_CA_BUNDLE (or PROVIDER_SANDBOX_CA_BUNDLE for the sandbox) names a readable file."
        )
    return connector.interpret(response, options)


def _read_capped(raw: requests.Response, cap: int, deadline: float) -> ProviderResponse:
    """Read the body up to cap bytes, giving up at deadline (time.monotonic()).

    The read timeout bounds each wait for data, so a provider dripping bytes could stretch one check
    for minutes; read1 returns whatever has arrived, letting the deadline be checked between drips.
    """
    body = bytearray()
    truncated = False
    try:
        while chunk := raw.raw.read1(16384, decode_content=True):
            body.extend(chunk)
            if len(body) > cap:
                truncated = True
                del body[cap:]
                break
            if time.monotonic() > deadline:
                raise requests.exceptions.ReadTimeout("The check ran out of time while reading the answer.")
    except urllib3.exceptions.ReadTimeoutError:
        raise requests.exceptions.ReadTimeout("The provider stopped sending its answer.") from None
    except urllib3.exceptions.HTTPError:
        # ProtocolError, DecodeError, a TLS record gone bad mid-answer: cut off or garbled.
        raise AnswerBroken("The provider's answer was cut off or garbled.") from None
    return ProviderResponse(raw.status_code, raw.headers, bytes(body), truncated)
