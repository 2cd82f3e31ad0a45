"""Forward a caller's request to a credential's provider with the key injected; stream the answer back.

Knows HTTP and nothing of Django: the caller (the machine door's service) passes the connector, the settings, the plaintext
key and the request parts, and turns the result into its own response. The upstream host is fixed by
the connector's base URL for those settings; the caller only chooses the path below it.

Request headers forwarded (all others dropped, and always the connector's key header and any header
named in Connection): FORWARDED_REQUEST_HEADERS. If the caller sends no Accept-Encoding, "identity" is
asked for, because the answer is passed on byte for byte (never decoded or re-encoded): its
Content-Encoding and Content-Length stay true.

Response headers passed back: PASSED_RESPONSE_HEADERS and any RateLimit-* / X-RateLimit-* header,
except one whose value contains the key (a provider redirecting to a URL that carries it). Location is
passed as the provider sent it: redirects are the caller's to follow, through the proxy or not.
Set-Cookie never comes back, and cookies are never kept between requests.
"""
import json
import os
import re
import ssl
import threading
import unicodedata
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import BinaryIO
from urllib.parse import quote, unquote, unquote_plus, urlsplit

import certifi
import urllib3
from requests.utils import get_auth_from_url, prepend_scheme_if_needed, select_proxy

from connectors.base import Connector
from connectors.transport.check import HttpConfig, UndocumentedHostError, build_session, ensure_documented, route

ALLOWED_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
FORWARDED_REQUEST_HEADERS = frozenset({
    "accept", "accept-encoding", "accept-language", "content-type", "content-encoding", "content-length",
    "if-match", "if-none-match", "if-modified-since", "if-unmodified-since", "idempotency-key",
    "range", "prefer",
})
# Hop-by-hop (RFC 9110 7.6.1) and the caller's own credentials: never forwarded, even if listed above.
DROPPED_REQUEST_HEADERS = frozenset({
    "connection", "keep-alive", "te", "trailer", "transfer-encoding", "upgrade", "proxy-connection",
    "proxy-authorization", "proxy-authenticate", "authorization", "cookie", "host",
})
PASSED_RESPONSE_HEADERS = frozenset({
    "content-type", "content-length", "content-encoding", "content-language", "content-disposition",
    "content-range", "accept-ranges", "etag", "last-modified", "cache-control", "expires", "vary",
    "retry-after", "ratelimit", "ratelimit-policy", "link", "location", "x-request-id",
})
_RATE_LIMIT_HEADER = re.compile(r"^(x-)?ratelimit-[a-z0-9-]+$")
# The header a view sets on a provider's answer, so a client can tell it from the proxy's own refusals.
PROVIDER_ANSWER_HEADER = "X-Proxy-Provider-Answer"
# Moshtix's GraphQL body must be read whole to inject the key, and its answer to screen it for the key;
# nothing else is ever held whole.
MAX_JSON_BODY_BYTES = 1024 * 1024
MAX_SCREENED_ANSWER_BYTES = 8 * 1024 * 1024
USER_AGENT = "credentials-manager-proxy/1"
CHUNK_BYTES = 64 * 1024
POOL_SIZE = 32
# Characters sent as they are in a path or query; everything else is percent-encoded.
_PATH_SAFE = "/:;=,+!$&'()*~"
_QUERY_SAFE = "=&;%+,/:@!$'()*?~"
_SCHEME = re.compile(r"^[a-z][a-z0-9+.-]*:", re.IGNORECASE)
_ASCII_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


# --- Refusals ---------------------------------------------------------------------------------------


class ProxyError(Exception):
    """A refusal by the proxy itself; never holds the key.

    Subclasses declare slug, title and status, which the app's problem vocabulary answers with
    (credentials_app/problems.py); detail says what happened in this case.
    """

    slug = "proxy-error"
    title = "The proxy could not forward the request"
    status = 400

    def __init__(self, detail: str):
        super().__init__(detail)
        self.detail = detail


class PathRefused(ProxyError):
    slug = "path-refused"
    title = "This path cannot be forwarded"


class MethodRefused(ProxyError):
    slug = "method-refused"
    title = "This method cannot be forwarded"
    status = 405


class BodyRefused(ProxyError):
    slug = "body-refused"
    title = "This request body cannot be forwarded"


class BodyBroken(ProxyError):
    slug = "body-broken"
    title = "The request body broke off"


class BodyTooLarge(ProxyError):
    slug = "body-too-large"
    title = "The request body is too large to forward"
    status = 413


class ProxyMisconfigured(ProxyError):
    slug = "proxy-misconfigured"
    title = "The proxy is not configured to reach this provider"
    status = 500


class UpstreamUnreachable(ProxyError):
    slug = "upstream-unreachable"
    title = "The provider could not be reached"
    status = 502


class UpstreamCertificate(ProxyError):
    slug = "upstream-certificate"
    title = "The provider's TLS certificate could not be verified"
    status = 502


class UpstreamTimeout(ProxyError):
    slug = "upstream-timeout"
    title = "The provider did not answer in time"
    status = 504


class UpstreamInterim(ProxyError):
    slug = "upstream-interim-answer"
    title = "The provider sent an interim answer"
    status = 502


class AnswerCarriedKey(ProxyError):
    """The answer to a call whose key went into the body held that key (or could not be screened for it)."""

    slug = "answer-carried-key"
    title = "The provider's answer held the key, so it was not passed on"
    status = 502


class UpstreamBroken(ProxyError):
    """Raised while iterating the body: the status and headers are already sent, so only log it."""

    slug = "upstream-broken"
    title = "The provider's answer broke off"
    status = 502


# --- The answer -------------------------------------------------------------------------------------


@dataclass
class ProxyResponse:
    """The provider's answer: status, the headers that may pass, and the body as it streams in.

    Iterate body exactly once: iterating it to the end returns the connection to its pool; close()
    before then, read or not, closes it. A view passes body to a streaming response (which calls
    close() when done) and sets PROVIDER_ANSWER_HEADER when from_provider is true.
    """

    status: int
    headers: list[tuple[str, str]]
    body: Iterator[bytes]
    from_provider: bool = True

    def close(self) -> None:
        self.body.close()


# --- Forwarding -------------------------------------------------------------------------------------


def proxy_request(
    connector: Connector,
    *,
    options: Mapping[str, str],
    key: str,
    method: str,
    path: str,
    query: str = "",
    headers: Mapping[str, str],
    body: BinaryIO | None,
    config: HttpConfig,
) -> ProxyResponse:
    """Send the caller's request to the provider, carrying key as the connector declares it.

    path is the decoded path below the provider's base URL (what follows /proxy/<id>/), query the raw
    query string, headers the caller's (any case), body a readable binary stream or None. Raise a
    ProxyError subclass for anything refused or failed before the provider answered; any answer the
    provider gives, errors and redirects included, comes back as it is.
    """
    method = method.upper()
    if not connector.auth_header and not connector.key_in_body:
        raise ProxyMisconfigured(f"{connector.name} declares no way to carry its key, so nothing was sent.")
    if method not in ALLOWED_METHODS:
        raise MethodRefused(f"{method[:20]!r} requests are not forwarded; use one of {', '.join(sorted(ALLOWED_METHODS))}.")
    url = upstream_url(connector, options, path)
    target = _routed(url, query, config)
    outgoing = forwarded_headers(connector, headers)
    data = _outgoing_body(connector, key, outgoing, body)
    if "accept-encoding" not in outgoing or connector.key_in_body:
        # A body-keyed answer is screened for the key, which needs it as sent: never compressed.
        outgoing.pop("accept-encoding", None)
        outgoing["Accept-Encoding"] = "identity"
    # Some providers' firewalls refuse a request that names no client.
    outgoing["User-Agent"] = USER_AGENT
    ca_bundle = config.sandbox_ca_bundle if config.sandbox_url and config.sandbox_ca_bundle else None
    host = urlsplit(url).netloc
    try:
        # The host's pool itself, not a manager: a manager would parse the URL and look the pool up again.
        raw = pool_for(target, ca_bundle).urlopen(
            method,
            _request_target(target),
            body=data,
            headers=outgoing,
            timeout=urllib3.Timeout(connect=config.connect_timeout, read=config.read_timeout),
            redirect=False,
            retries=False,
            assert_same_host=False,
            preload_content=False,
            decode_content=False,
            # Released when the body has been streamed to its end (see _AnswerBody).
            release_conn=False,
        )
    except urllib3.exceptions.SSLError:
        raise UpstreamCertificate(f"The TLS certificate of {host} could not be verified.") from None
    except urllib3.exceptions.NewConnectionError:
        # Before the timeouts: urllib3 makes a refused connection a kind of connect timeout.
        raise UpstreamUnreachable(f"Could not connect to {host}.") from None
    except urllib3.exceptions.TimeoutError:
        raise UpstreamTimeout(
            f"{connector.name} did not answer in time (connect {config.connect_timeout:g} s, "
            f"read {config.read_timeout:g} s)."
        ) from None
    except (urllib3.exceptions.HTTPError, OSError):
        # Refused, reset, a proxy that refused the tunnel, an answer that is not HTTP, a CA bundle that cannot be read.
        raise UpstreamUnreachable(f"Could not connect to {host}.") from None
    if raw.status < 200:
        # http.client passes over 100 Continue only. The final answer to this call would follow on this
        # connection, and reach whichever call took the connection next: close it.
        _discard(raw)
        raise UpstreamInterim(f"The provider sent an interim answer ({raw.status}), which the proxy does not relay.")
    body = _screened(raw, key) if connector.key_in_body else _AnswerBody(raw)
    return ProxyResponse(raw.status, passed_headers(raw.headers, key), body)


def _screened(raw: urllib3.BaseHTTPResponse, key: str) -> Iterator[bytes]:
    """Return the whole answer as one chunk once it is known not to hold key; raise AnswerCarriedKey if it does.

    Where the caller writes the request the key goes into (a GraphQL document naming $token), it can
    make the provider repeat the key: in an error about the variable, or a field that echoes its input.
    """
    if raw.headers.get("Content-Encoding", "identity").strip().lower() not in ("", "identity"):
        _discard(raw)
        raise AnswerCarriedKey("The provider compressed an answer the proxy must screen for the key.")
    answer = _AnswerBody(raw)
    held, size = [], 0
    try:
        for chunk in answer:
            size += len(chunk)
            if size > MAX_SCREENED_ANSWER_BYTES:
                raise AnswerCarriedKey(
                    f"The answer is over {MAX_SCREENED_ANSWER_BYTES // 2**20} MiB, too large to screen for the key.")
            held.append(chunk)
    finally:
        answer.close()
    data = b"".join(held)
    text = data.decode("utf-8", "replace")
    if _carries(text, key) or json.dumps(key)[1:-1] in text:
        raise AnswerCarriedKey("The provider's answer repeated the key, so it was not passed on.")
    return _once(data)


def _once(data: bytes) -> Iterator[bytes]:
    yield data


def _request_target(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.path or '/'}?{parts.query}" if parts.query else parts.path or "/"


def upstream_url(connector: Connector, options: Mapping[str, str], path: str) -> str:
    """Return the provider URL for path below the base URL these options choose; raise PathRefused.

    A path that could leave the base URL is refused, in every encoding: absolute or scheme-relative
    URLs, dot segments, backslashes, @, control characters, # and ?.
    """
    _refuse_hostile(path)
    base = connector.base_url(options).rstrip("/")
    url = f"{base}/{quote(path, safe=_PATH_SAFE)}"
    if urlsplit(url).netloc != urlsplit(base).netloc:
        raise PathRefused("The path would change the provider's host.")
    try:
        ensure_documented(connector, url)
    except UndocumentedHostError:
        raise PathRefused(f"The path leads outside {connector.name}'s documented API.") from None
    return url


def _refuse_hostile(path: str) -> None:
    """Raise PathRefused if path, decoded any number of times or NFKC-normalised, could escape its base."""
    layers = [path]
    while len(layers) < 5 and (decoded := unquote(layers[-1])) != layers[-1]:
        layers.append(decoded)
    if unquote(layers[-1]) != layers[-1]:
        raise PathRefused("The path is percent-encoded too many times over.")
    # dict.fromkeys: each distinct layer once (NFKC leaves plain ASCII as it is).
    for layer in dict.fromkeys(layers + [unicodedata.normalize("NFKC", layer) for layer in layers]):
        if _has_control_characters(layer):
            raise PathRefused("The path may not contain control characters.")
        if layer.startswith("/") or "//" in layer or _SCHEME.match(layer):
            raise PathRefused("The path must be relative to the provider's API: no host, scheme or //.")
        if "\\" in layer or "@" in layer:
            raise PathRefused("The path may not contain a backslash or @.")
        if "#" in layer or "?" in layer:
            raise PathRefused("The path may not contain # or ?; send the query string as the query.")
        # "..;x" is ".." to servers that strip path parameters (Tomcat, Spring): it climbs too.
        if any(segment.split(";")[0] in (".", "..") for segment in layer.split("/")):
            raise PathRefused("The path may not contain . or .. segments.")


def _has_control_characters(text: str) -> bool:
    if text.isascii():  # the usual path: ASCII's only control characters are C0 and DEL
        return _ASCII_CONTROL.search(text) is not None
    return any(unicodedata.category(char) in ("Cc", "Cf", "Zl", "Zp") for char in text)


def _routed(url: str, query: str, config: HttpConfig) -> str:
    if config.sandbox_url and not config.sandbox_url.startswith("https://"):
        # The sandbox stands in for the provider, so it gets the same rule: the key never goes out in clear.
        raise ProxyMisconfigured("The provider sandbox URL must start with https://, so nothing was sent.")
    if any(unicodedata.category(char) == "Cc" for char in query) or "#" in query:
        raise PathRefused("The query string may not contain control characters or #.")
    query = quote(query, safe=_QUERY_SAFE)
    return route(url, config) + (f"?{query}" if query else "")


def forwarded_headers(connector: Connector, headers: Mapping[str, str]) -> dict[str, str]:
    """Return the caller's headers that may go to the provider (see the module docstring)."""
    lowered = {name.lower(): value for name, value in headers.items()}
    named_in_connection = {name.strip().lower() for name in lowered.get("connection", "").split(",")}
    dropped = DROPPED_REQUEST_HEADERS | named_in_connection | {connector.auth_header.lower()}
    return {
        name: value
        for name, value in lowered.items()
        if name in FORWARDED_REQUEST_HEADERS and name not in dropped and not name.startswith("proxy-")
    }


def passed_headers(headers: Mapping[str, str], key: str) -> list[tuple[str, str]]:
    """Return the provider's response headers that may reach the caller (see the module docstring).

    A header sent more than once (Link, Vary) comes back once, its values joined with ", " as
    RFC 9110 allows: the caller's response holds one value per name.
    """
    joined: dict[str, tuple[str, list[str]]] = {}
    for name, value in headers.items():
        joined.setdefault(name.lower(), (name, []))[1].append(value)
    passed = [(name, ", ".join(values)) for lowered, (name, values) in joined.items()
              if lowered in PASSED_RESPONSE_HEADERS or _RATE_LIMIT_HEADER.match(lowered)]
    return [(name, value) for name, value in passed if not _carries(value, key)]


def _carries(value: str, key: str) -> bool:
    """Return True if value holds key as it is or percent-encoded (any case, + for space or not)."""
    return key in value or key in unquote(value) or key in unquote_plus(value)


def _outgoing_body(connector: Connector, key: str, outgoing: dict[str, str], body: BinaryIO | None):
    """Add key to outgoing (connector.inject_key); return the body to send: None, the caller's as a stream of chunks, or JSON."""
    if not connector.key_in_body:
        connector.inject_key(key, outgoing, None)
        # A stated Content-Length goes on with the body; a body of unknown length is sent chunked.
        if body is None or outgoing.get("content-length") == "0":
            outgoing.pop("content-length", None)
            return None
        if not outgoing.get("content-length", "").isdigit():
            outgoing.pop("content-length", None)
        length = outgoing.get("content-length")
        return _chunks(body, int(length) if length else None)
    # The key goes into the caller's JSON body (Moshtix): read it, bounded, and write it anew.
    outgoing.pop("content-length", None)
    if outgoing.pop("content-encoding", "identity").strip().lower() != "identity":
        raise BodyRefused(f"{connector.name} requests must be sent uncompressed: the key is added to the body.")
    raw = _read_caller(body, MAX_JSON_BODY_BYTES + 1) if body is not None else b""
    if len(raw) > MAX_JSON_BODY_BYTES:
        raise BodyTooLarge(f"{connector.name} request bodies may be at most {MAX_JSON_BODY_BYTES // 1024} KiB.")
    try:
        payload = json.loads(raw or b"{}")
    except ValueError:
        raise BodyRefused(f"{connector.name} requests need a JSON body.") from None
    if not isinstance(payload, dict):
        raise BodyRefused(f"{connector.name} requests need a JSON object as the body.")
    outgoing["content-type"] = "application/json"
    return json.dumps(connector.inject_key(key, outgoing, payload)).encode()


def _chunks(body: BinaryIO, length: int | None) -> Iterator[bytes]:
    """Yield the caller's body; raise BodyBroken if it breaks off, or ends short of its stated length."""
    sent = 0
    while chunk := _read_caller(body, CHUNK_BYTES):
        sent += len(chunk)
        yield chunk
    if length is not None and sent < length:
        # Else the provider would wait for the rest until the read timeout, then count as slow.
        raise BodyBroken(f"The request body ended after {sent} of its {length} bytes.")


def _read_caller(body: BinaryIO, size: int) -> bytes:
    try:
        return body.read(size)
    except OSError:  # the caller went away mid-body (Django's UnreadablePostError)
        raise BodyBroken("The request body broke off before its end.") from None


class _AnswerBody:
    """The answer's bytes as they arrive, undecoded; at its end the connection goes back to its pool.

    An answer not read to its end (broken off, or closed unread because the caller went away)
    closes its connection instead: it may still hold part of the answer.
    """

    def __init__(self, raw: urllib3.BaseHTTPResponse):
        self.raw = raw
        self.done = False

    def __iter__(self) -> Iterator[bytes]:
        return self

    def __next__(self) -> bytes:
        if self.done:
            raise StopIteration
        try:
            chunk = self.raw.read1(CHUNK_BYTES, decode_content=False)
        except (urllib3.exceptions.HTTPError, OSError):
            self.close()
            raise UpstreamBroken("The provider's answer broke off before its end.") from None
        if chunk:
            return chunk
        self.done = True
        # Read to its end: the connection is clean for the next call (a HEAD answer, too).
        self.raw.release_conn()
        raise StopIteration

    def close(self) -> None:
        if not self.done:
            self.done = True
            _discard(self.raw)


def _discard(raw: urllib3.BaseHTTPResponse) -> None:
    """Close raw's connection (it may hold the rest of an answer) and give its place in the pool back."""
    raw.close()
    raw.release_conn()


# --- Connection pools -------------------------------------------------------------------------------

# Per (host, CA bundle): the manager that made the pool (it closes it), and the pool itself.
_pools: dict[tuple[str, str | None], tuple[urllib3.PoolManager, urllib3.HTTPConnectionPool]] = {}
_pools_lock = threading.Lock()


def pool_for(url: str, ca_bundle: str | None) -> urllib3.HTTPConnectionPool:
    """Return the kept-alive connection pool for url's host, shared by every thread; made on first use.

    urllib3's pool: at most POOL_SIZE idle connections per host (a burst opens more, and closes
    them when they come back to a full pool), no retries, no redirects. Certificates are verified
    against ca_bundle, else what the key checks' session uses (REQUESTS_CA_BUNDLE, CURL_CA_BUNDLE,
    certifi's); HTTPS_PROXY and NO_PROXY apply, as for every outbound call. Those variables are read
    when the pool is made: per request they would cost more than the rest of the forwarding. No
    cookie is ever kept. Send it the request target (path and query) with assert_same_host=False.
    """
    key = (urlsplit(url).netloc, ca_bundle)
    found = _pools.get(key)
    if found is None:
        with _pools_lock:
            found = _pools.get(key)
            if found is None:
                manager = _new_manager(url, ca_bundle)
                pool = manager.connection_from_url(url)
                pool.ConnectionCls = _ProviderConnection
                found = _pools[key] = (manager, pool)
    return found[1]


class _ProviderConnection(urllib3.connection.HTTPSConnection):
    """An HTTPS connection that stops sending when the provider stops reading, so its early answer is read.

    A provider may answer before reading the whole body (a 413, a 401) and close: that answer is the
    caller's. If none came, reading it fails, and the call is "unreachable" as any broken connection.
    """

    def request(self, *args, **kwargs):
        self._provider_stopped_reading = False
        return super().request(*args, **kwargs)

    def send(self, data):
        if getattr(self, "_provider_stopped_reading", False):
            return
        try:
            super().send(data)
        except (BrokenPipeError, ConnectionResetError, ssl.SSLEOFError):
            self._provider_stopped_reading = True


def pools_close() -> None:
    """Close every pooled connection; the next request makes its pool anew, reading the environment again."""
    with _pools_lock:
        for manager, _ in _pools.values():
            manager.clear()
        _pools.clear()


def _new_manager(url: str, ca_bundle: str | None) -> urllib3.PoolManager:
    ca, proxy = outbound_environment(url, ca_bundle)
    if not os.access(ca, os.R_OK):
        # The path is the operator's to see, in the settings; not the caller's.
        raise ProxyMisconfigured("The CA bundle set for verifying providers cannot be read, so nothing was sent.")
    options = {"num_pools": 1, "maxsize": POOL_SIZE, "block": False, "retries": False, **verified_by(ca)}
    return proxy_manager(proxy, **options) if proxy else urllib3.PoolManager(**options)


def verified_by(ca: str) -> dict:
    """Return urllib3's options that verify certificates against ca, a bundle file or a folder."""
    return {"cert_reqs": "CERT_REQUIRED", **({"ca_cert_dir": ca} if os.path.isdir(ca) else {"ca_certs": ca})}


def proxy_manager(proxy: str, **options) -> urllib3.ProxyManager:
    """Return a manager tunnelling through the HTTPS_PROXY proxy; raise ProxyMisconfigured unless it is http://.

    As requests reads the variable: "host:port" means http://, and a user:password in it is sent to
    the proxy as Proxy-Authorization.
    """
    proxy = prepend_scheme_if_needed(proxy, "http")
    if urlsplit(proxy).scheme != "http":
        raise ProxyMisconfigured("HTTPS_PROXY must be an http:// proxy (CONNECT); nothing was sent.")
    user, password = get_auth_from_url(proxy)
    proxy_headers = urllib3.make_headers(proxy_basic_auth=f"{user}:{password}") if user else None
    return urllib3.ProxyManager(proxy, proxy_headers=proxy_headers, **options)


def outbound_environment(url: str, ca_bundle: str | None = None) -> tuple[str, str | None]:
    """Return the CA bundle and the HTTPS proxy (None: direct) that the connector session would use for url.

    The key checks' own requests session reads REQUESTS_CA_BUNDLE, CURL_CA_BUNDLE, HTTPS_PROXY,
    ALL_PROXY and NO_PROXY; asking it keeps the proxy on the same rules.
    """
    found = build_session().merge_environment_settings(url, {}, None, ca_bundle or True, None)
    return (certifi.where() if found["verify"] is True else found["verify"]), select_proxy(url, found["proxies"])
