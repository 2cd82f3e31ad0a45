"""Real receivers on loopback for the notification tests: an SMTP server and a webhook receiver."""
import email
import email.policy
import json
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import django
import pytest
from aiosmtpd.controller import Controller
from standardwebhooks.webhooks import Webhook, WebhookVerificationError


class _Inbox:
    """What the SMTP server received: one entry per message, with its recipients and text."""

    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        # As a mail client reads it: headers, then the body decoded from its transfer encoding.
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        text = f"Subject: {message['Subject']}\n{message.get_content()}"
        self.messages.append({"to": list(envelope.rcpt_tos), "text": text})
        return "250 Message accepted for delivery"


@pytest.fixture
def mail_at(settings):
    """Return a function that points the app's mail at an SMTP server on loopback port, as settings.py does."""

    def point(port: int, *, timeout: float = 5.0) -> None:
        settings.NOTIFICATION_TIMEOUT = timeout
        if django.VERSION >= (6, 1):  # MAILERS replaces the EMAIL_* settings
            smtp = {"BACKEND": "django.core.mail.backends.smtp.EmailBackend",
                    "OPTIONS": {"host": "127.0.0.1", "port": port, "use_tls": False}}
            settings.MAILERS = {"default": smtp,
                                "notifications": {**smtp, "OPTIONS": {**smtp["OPTIONS"], "timeout": timeout}}}
        else:
            settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
            settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port
            settings.EMAIL_USE_TLS = False
        settings.EMAIL_CONFIGURED = True

    return point


@pytest.fixture
def smtp_server(mail_at):
    """Run an SMTP server on loopback and point the app's mail at it; return its inbox."""
    inbox = _Inbox()
    # aiosmtpd cannot start on port 0: take a free port from the system first.
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    mail_at(port)
    yield inbox
    controller.stop()


class WebhookReceiver:
    """A webhook receiver on loopback. Signed requests are verified with the standardwebhooks package.

    answer is the status it replies with; secret, when set, is the signing secret to verify against.
    """

    def __init__(self):
        self.answer = 204
        self.secret = None
        self.received = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                entry = {"path": self.path, "headers": dict(self.headers), "body": json.loads(body), "verified": None}
                if receiver.secret and "webhook-signature" in self.headers:
                    try:
                        Webhook(receiver.secret).verify(body, dict(self.headers))
                        entry["verified"] = True
                    except WebhookVerificationError:
                        entry["verified"] = False
                receiver.received.append(entry)
                self.send_response(receiver.answer)
                if 300 <= receiver.answer < 400:
                    self.send_header("Location", f"http://127.0.0.1:{self.server.server_port}/elsewhere")
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        # Polled often, so stopping it at a test's end takes a moment, not half a second.
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.02},
                                       daemon=True)

    def at(self, path: str) -> str:
        return self.url + path


@pytest.fixture
def webhook_receiver(settings):
    """Run a webhook receiver on loopback, with private URLs allowed so the app may call it."""
    settings.NOTIFICATION_ALLOW_PRIVATE_URLS = True
    receiver = WebhookReceiver()
    receiver.thread.start()
    yield receiver
    receiver.server.shutdown()
    receiver.server.server_close()
