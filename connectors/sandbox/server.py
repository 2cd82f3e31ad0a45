"""Serve the provider emulations over HTTPS on loopback: /{documented host}/{path} → that provider."""
import gzip
import json
import socket
import ssl
import threading
import time
from dataclasses import dataclass, field, replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from connectors.sandbox import keys
from connectors.sandbox.emulations import EMULATIONS, Reply, Request
from connectors.sandbox.tls import CertificateFiles, make_loopback_certificate

# Requests to this first path segment control the sandbox itself instead of an emulated provider.
CONTROL = "_sandbox"


@dataclass
class SandboxState:
    """Knobs a test or operator can turn; shared by every request."""

    slow_seconds: float = 25.0
    # How long the trickle key's answer takes to drip out; tests shorten it.
    trickle_seconds: float = keys.TRICKLE_SECONDS
    # A fixed wait before every answer, to emulate a provider's latency (benchmarks).
    delay_seconds: float = 0.0
    requests: list = field(default_factory=list)  # (host, method, path) of each request, never the body
    # The path and query of each request as it arrived, to prove no key travels in a URL.
    # Never headers or body: those carry keys.
    targets: list = field(default_factory=list)
    # Bytes of each gzip-compressed answer as sent, to prove the body cap applies after decoding.
    gzipped_sizes: list = field(default_factory=list)
    # The header names (lower-case, sorted) of each request, to prove what a proxy forwards. Never values.
    header_names: list = field(default_factory=list)
    # The client's port for each request: the same port again means a kept-alive connection was reused.
    client_ports: list = field(default_factory=list)
    # Close a kept-alive connection after this many idle seconds, as providers' servers do; None keeps it.
    idle_close_seconds: float | None = None
    # Send this interim (1xx) answer, e.g. 103 Early Hints, before each final one.
    interim_status: int | None = None
    # End each answer with Connection: close, and close the connection.
    close_after_answer: bool = False
    # Refuse a body over this many bytes with 413 before reading it, then close, as a web server's limit does.
    max_body_bytes: int | None = None
    # Keys revoked at the emulated provider (POST /_sandbox/revoke): answered as unknown keys from then on.
    revoked: set = field(default_factory=set)
    # Client connections open right now, to prove how many a client keeps.
    open_connections: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def count_connection(self, change: int) -> None:
        with self._lock:
            self.open_connections += change


class _Handler(BaseHTTPRequestHandler):
    server_version = "ProviderSandbox/1"
    protocol_version = "HTTP/1.1"
    # Headers and body go out in separate writes; with Nagle on, a kept-alive client waits ~40 ms for
    # the delayed ACK on each answer, which would drown any latency measured against the sandbox.
    disable_nagle_algorithm = True

    def setup(self):
        self.timeout = self.server.state.idle_close_seconds
        self.server.state.count_connection(+1)
        super().setup()

    def finish(self):
        try:
            super().finish()
        finally:
            self.server.state.count_connection(-1)

    def send_response(self, code, message=None):
        state: SandboxState = self.server.state
        if state.interim_status:
            self.send_response_only(state.interim_status)
            self.send_header("Link", "</static/app.css>; rel=preload; as=style")
            self.end_headers()
        super().send_response(code, message)
        if state.close_after_answer:
            self.send_header("Connection", "close")  # and BaseHTTPRequestHandler closes after the answer

    def _refuse_large_body(self) -> bool:
        limit = self.server.state.max_body_bytes
        if limit is None or int(self.headers.get("Content-Length") or 0) <= limit:
            return False
        self.send_response(413)
        self.send_header("Content-Length", "0")
        self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.flush()
        return True

    def log_message(self, format, *args):  # noqa: A002 - quiet: request lines are not secrets, but noise
        pass

    def _handle(self):
        if self._refuse_large_body():
            return
        parts = urlsplit(self.path)
        host, _, rest = parts.path.lstrip("/").partition("/")
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        if len(body) < length:
            # The client gave up mid-body: a server handles nothing of a request it did not receive whole.
            self.close_connection = True
            return
        state: SandboxState = self.server.state
        if host == CONTROL:
            self._control(rest, body)
            return
        state.requests.append((host, self.command, "/" + rest))
        state.targets.append(self.path)
        state.header_names.append(sorted(name.lower() for name in self.headers))
        state.client_ports.append(self.client_address[1])
        if state.delay_seconds:
            time.sleep(state.delay_seconds)
        emulate = EMULATIONS.get(host)
        if emulate is None:
            reply = Reply(404, {"message": f"The sandbox does not emulate {host}."})
        else:
            request = Request(
                method=self.command,
                path="/" + rest,
                query={name: values[-1] for name, values in parse_qs(parts.query).items()},
                headers={name.lower(): value for name, value in self.headers.items()},
                body=body,
                host=host,
                slow_seconds=state.slow_seconds,
            )
            request = _as_unknown(request, state.revoked)
            reply = emulate(request)
        if reply.stream_bytes:
            self._stream(reply)
            return
        payload = reply.body if isinstance(reply.body, bytes) else json.dumps(reply.body).encode()
        self.send_response(reply.status)
        self.send_header("Content-Type", reply.content_type)
        plain = reply.trickle or reply.break_tls
        if "gzip" in self.headers.get("Accept-Encoding", "") and payload and not plain:
            # As real APIs behind a CDN do: compress when the client says it can decode.
            payload = gzip.compress(payload, compresslevel=1)
            state.gzipped_sizes.append(len(payload))
            self.send_header("Content-Encoding", "gzip")
        self.send_header("Content-Length", str(len(payload)))
        for name, value in reply.headers.items():
            self.send_header(name, value)
        self.end_headers()
        if self.command == "HEAD":
            return  # the head alone, as HTTP has it: Content-Length still says what a GET would send
        if reply.trickle:
            self._trickle(payload, state.trickle_seconds)
        elif reply.break_tls:
            self._break_tls(payload)
        else:
            self.wfile.write(payload)

    def _control(self, action: str, body: bytes) -> None:
        """Revoke a key at every emulated provider, or restore it: {"key": "..."} to /_sandbox/revoke or /restore."""
        try:
            key = json.loads(body)["key"]
        except (ValueError, KeyError, TypeError):
            key = None
        if self.command != "POST" or action not in ("revoke", "restore") or not isinstance(key, str) or not key:
            self._reply_json(400, {"message": 'POST {"key": "..."} to /_sandbox/revoke or /_sandbox/restore.'})
            return
        revoked: set = self.server.state.revoked
        revoked.add(key) if action == "revoke" else revoked.discard(key)
        self._reply_json(200, {"revoked": sorted(revoked)})

    def _reply_json(self, status: int, body: dict) -> None:
        payload = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def _break_tls(self, payload: bytes) -> None:
        self.wfile.write(payload[: len(payload) // 2])
        self.wfile.flush()
        # Straight onto the TCP socket, past TLS: an application-data record whose MAC cannot verify.
        socket.socket.send(self.connection, b"\x17\x03\x03\x00\x20" + bytes(32))
        self.close_connection = True

    def _stream(self, reply: Reply) -> None:
        """Send {"padding": "xxx..."} of exactly reply.stream_bytes bytes, never holding it whole."""
        head, tail = b'{"padding": "', b'"}'
        self.send_response(reply.status)
        self.send_header("Content-Type", reply.content_type)
        self.send_header("Content-Length", str(reply.stream_bytes))
        for name, value in reply.headers.items():
            self.send_header(name, value)
        self.end_headers()
        if self.command == "HEAD":
            return
        self.wfile.write(head)
        left = reply.stream_bytes - len(head) - len(tail)
        piece = b"x" * 65536
        while left > 0:
            self.wfile.write(piece[:left])
            left -= len(piece)
        self.wfile.write(tail)

    def _trickle(self, payload: bytes, seconds: float) -> None:
        """Send payload in TRICKLE_PIECES even pieces, the last one `seconds` after the headers."""
        # Timed per piece, not per byte, so a short answer takes as long to drip as a long one.
        pieces = keys.TRICKLE_PIECES
        for index in range(pieces):
            time.sleep(seconds / pieces)
            self.wfile.write(payload[len(payload) * index // pieces : len(payload) * (index + 1) // pieces])
            self.wfile.flush()

    do_GET = do_HEAD = do_POST = do_PUT = do_DELETE = _handle


def _as_unknown(request: Request, revoked: set) -> Request:
    """Return request with every revoked key in it replaced by one the provider never issued.

    Wherever a provider reads its key (a header, a GraphQL variable), a revoked key is then refused as
    that provider refuses an unknown key: what a key revoked in its dashboard gets.
    """
    if not revoked:
        return request
    headers, body = dict(request.headers), request.body
    for key in revoked:
        headers = {name: value.replace(key, keys.REJECTED) for name, value in headers.items()}
        body = body.replace(key.encode(), keys.REJECTED.encode())
    return replace(request, headers=headers, body=body)


class _QuietHTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    # A burst of clients connecting at once waits in the queue instead of being dropped and retried.
    request_queue_size = 256

    def handle_error(self, request, client_address):
        # A client that gave up (timeout) closes the socket mid-reply: expected, not an error.
        import sys

        if not isinstance(sys.exc_info()[1], (ConnectionError, ssl.SSLError, TimeoutError)):
            super().handle_error(request, client_address)


class SandboxServer:
    """A running sandbox: its base URL, the CA bundle that verifies it, and stop()."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0, cert_dir: Path | None = None,
                 certificates: CertificateFiles | None = None):
        if certificates is None:
            if cert_dir is None:
                raise ValueError("Give cert_dir or certificates.")
            certificates = make_loopback_certificate(cert_dir)
        self.certificates = certificates
        self.httpd = _QuietHTTPServer((host, port), _Handler)
        self.httpd.state = SandboxState()
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(certificates.certificate, certificates.private_key)
        self.httpd.socket = context.wrap_socket(
            self.httpd.socket, server_side=True, do_handshake_on_connect=False
        )  # The handshake then runs in each request's thread, not in the accept loop.
        self.host, self.port = self.httpd.server_address[:2]
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"https://{self.host}:{self.port}"

    @property
    def ca_bundle(self) -> str:
        return str(self.certificates.ca_bundle)

    @property
    def state(self) -> SandboxState:
        return self.httpd.state

    def start(self) -> "SandboxServer":
        self._thread = threading.Thread(target=self.httpd.serve_forever, name="provider-sandbox", daemon=True)
        self._thread.start()
        return self

    def serve_forever(self) -> None:
        self.httpd.serve_forever()

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
