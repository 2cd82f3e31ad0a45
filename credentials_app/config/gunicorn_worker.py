"""gunicorn's threaded worker, reading each request in on its poller before a thread serves it, within a deadline.

A worker has few threads (GUNICORN_THREADS). gunicorn's own gthread worker gives a connection a thread as
soon as its first byte arrives, so a client that sends its request a byte a second holds that thread
as long as it likes, and a handful of them stop a server. Here the request's head, and its body up to
READ_AHEAD_BYTES, are read on the worker's poller, without a thread; a thread gets the request once it
is all there. A request that has not arrived by the deadline (`read_deadline` seconds after its first
byte was awaited, set from GUNICORN_READ_DEADLINE by gunicorn_conf) is answered 408 and closed.
"""
import re
import selectors
import time
from collections import deque
from functools import partial

from gunicorn.workers.gthread import ThreadWorker

# Bodies longer than this go to a thread once this much has arrived, and stream from there (the proxy).
READ_AHEAD_BYTES = 1024 * 1024
REQUEST_TIMEOUT = b"HTTP/1.1 408 Request Timeout\r\nConnection: close\r\nContent-Length: 0\r\n\r\n"
_CONTENT_LENGTH = re.compile(rb"\r\ncontent-length:[ \t]*(\d+)")


def request_in(buffer: bytes) -> bool:
    """Return whether buffer holds a whole request head and as much of its body as is read ahead."""
    end = buffer.find(b"\r\n\r\n")
    if end < 0:
        return len(buffer) > READ_AHEAD_BYTES  # An oversized head: gunicorn's parser refuses it.
    head, body = buffer[:end].lower(), len(buffer) - end - 4
    if b"\r\nexpect:" in head:
        return True  # The client waits for an answer (100 Continue) before it sends the body.
    if b"\r\ntransfer-encoding:" in head:
        return body >= READ_AHEAD_BYTES or buffer.endswith(b"0\r\n\r\n")
    length = _CONTENT_LENGTH.search(head)
    return body >= min(int(length.group(1)) if length else 0, READ_AHEAD_BYTES)


class ReadAheadThreadWorker(ThreadWorker):
    """gunicorn's gthread worker that hands a thread only requests that have arrived (see the module's docstring)."""

    read_deadline = 20.0

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Connections whose request is being read in, oldest deadline first.
        self.reading_conns = deque()

    def enqueue_req(self, conn):
        """Read conn's request in on the poller first, unless it is already in (or is TLS, which gunicorn reads)."""
        buffered = conn.parser is not None and conn.parser.unreader.buf.getvalue()
        if getattr(conn, "read_in", False) or buffered or self.cfg.is_ssl or _may_be_http2(self.cfg, conn):
            conn.read_in = False  # The next request on this connection is read in again.
            super().enqueue_req(conn)
            return
        conn.read_ahead = bytearray()
        conn.read_deadline = time.monotonic() + self.read_deadline
        conn.sock.setblocking(False)
        self.reading_conns.append(conn)
        self.poller.register(conn.sock, selectors.EVENT_READ, partial(self.on_request_readable, conn))

    def on_request_readable(self, conn, client):
        """Add what arrived to conn's request; hand the request to a thread once it is in."""
        try:
            data = client.recv(65536)
        except BlockingIOError:
            return
        except OSError:
            data = b""
        if not data:  # The client went away.
            self._stop_reading(conn)
            self.nr_conns -= 1
            conn.close()
            return
        conn.read_ahead += data
        if request_in(conn.read_ahead):
            self._stop_reading(conn)
            conn.init()  # In this thread: without TLS or HTTP/2 it only makes the parser.
            conn.parser.unreader.unread(bytes(conn.read_ahead))
            conn.read_ahead, conn.read_in = bytearray(), True
            self.enqueue_req(conn)

    def murder_pending(self):
        """Close the connections gunicorn closes, and answer 408 to requests past their deadline."""
        super().murder_pending()
        now = time.monotonic()
        while self.reading_conns and self.reading_conns[0].read_deadline <= now:
            conn = self.reading_conns[0]
            self._stop_reading(conn)
            try:
                conn.sock.send(REQUEST_TIMEOUT)  # Non-blocking, best effort: the connection closes anyway.
            except OSError:
                pass
            self.nr_conns -= 1
            conn.close()

    def _stop_reading(self, conn):
        self.reading_conns.remove(conn)
        try:
            self.poller.unregister(conn.sock)
        except (KeyError, ValueError):
            pass


def _may_be_http2(cfg, conn) -> bool:
    """Return whether conn may open with HTTP/2's preface (gunicorn's prior-knowledge h2c), which gunicorn reads."""
    if getattr(conn, "is_http2", False):
        return True
    try:
        from gunicorn.http2 import negotiation
    except ImportError:
        return False
    return negotiation.prior_knowledge_allowed(cfg, conn.client)
