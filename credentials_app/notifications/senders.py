"""Send one notification over its channel: email, Slack incoming webhook, or Standard Webhooks.

Each sender returns nothing on success and raises DeliveryFailed with a short reason otherwise. A
reason never holds a URL (its path and query may be the secret) nor anything the receiver said.
"""
import base64
import hashlib
import hmac
import json
import logging
import secrets
from urllib.parse import urlsplit

import django
import urllib3
from django.conf import settings
from django.core.mail import EmailMessage, get_connection

from connectors.transport.proxy import ProxyMisconfigured, outbound_environment, proxy_manager, verified_by
from credentials_app import crypto
from credentials_app.notifications.addresses import UrlRefused, ensure_callable
from credentials_app.models import Notification, NotificationChannel

logger = logging.getLogger(__name__)


class DeliveryFailed(Exception):
    """The channel did not take the message; str() is a reason fit for the delivery log."""


def new_signing_secret() -> str:
    """Return a new Standard Webhooks secret: "whsec_" and 32 random bytes in base64."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


def sign(secret: str, message_id: str, timestamp: int, body: bytes) -> str:
    """Return the webhook-signature header value: "v1," and base64 HMAC-SHA256 over "id.timestamp.body"."""
    key = base64.b64decode(secret.removeprefix("whsec_"))
    signed = f"{message_id}.{timestamp}.".encode() + body
    return "v1," + base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()


def webhook_body(notification: Notification) -> bytes:
    """Return the JSON a webhook receives: {"type", "timestamp", "data"}, as Standard Webhooks suggests."""
    body = {"type": notification.event, "timestamp": notification.occurred_at.isoformat(),
            "data": {**notification.payload, "subject": notification.subject, "text": notification.text}}
    return json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode()


def send(notification: Notification, *, now_timestamp: int) -> None:
    """Send notification over its channel; raise DeliveryFailed if the channel did not take it."""
    channel = notification.channel
    unopened = [value for value in (channel.target, channel.signing_secret) if crypto.is_sealed(value)]
    if unopened:
        # Read as stored, sealed: it did not open with the keyring (models/sealed.py).
        key_id = crypto.key_id_of(unopened[0])
        try:
            why = "is missing" if key_id not in crypto.get_keyring() else "does not open it"
        except crypto.KeyringError:
            why = "is unavailable: the encryption keys cannot be read"
        raise DeliveryFailed(f"This channel cannot be decrypted: key {key_id} {why}. "
                             "Restore the key, or add the channel again.")
    if channel.kind == NotificationChannel.Kind.EMAIL:
        _send_email(notification)
    elif channel.kind == NotificationChannel.Kind.SLACK:
        _post(channel.target, json.dumps({"text": f"*{notification.subject}*\n{notification.text}"}).encode(), {})
    else:
        body = webhook_body(notification)
        headers = {
            "webhook-id": notification.webhook_id,
            "webhook-timestamp": str(now_timestamp),
            "webhook-signature": sign(channel.signing_secret, notification.webhook_id, now_timestamp, body),
        }
        _post(channel.target, body, headers)


def _send_email(notification: Notification) -> None:
    if not settings.EMAIL_CONFIGURED:
        raise DeliveryFailed("Email is not configured on this server (EMAIL_URL).")
    message = EmailMessage(
        subject=f"[Credential Manager] {notification.subject}",
        body=notification.text,
        to=[notification.address],
        headers={"Message-ID": f"<{notification.id}@credential-manager>"},
    )
    try:
        _send_with_timeout(message)
    except OSError as error:  # smtplib's errors are OSErrors, as are refused connections and timeouts
        raise DeliveryFailed(f"The mail server did not take it ({type(error).__name__}).") from None


def _send_with_timeout(message: EmailMessage) -> None:
    """Send message to the mail server, waiting at most NOTIFICATION_TIMEOUT for it."""
    if django.VERSION >= (6, 1):  # MAILERS replaces get_connection(): settings give notifications their own
        message.send(using="notifications")
    else:
        message.connection = get_connection(timeout=settings.NOTIFICATION_TIMEOUT)
        message.send()


def _post(url: str, body: bytes, headers: dict) -> None:
    try:
        address = ensure_callable(url)
    except UrlRefused as refused:
        raise DeliveryFailed(str(refused)) from None
    parts = urlsplit(url)
    ca_bundle, proxy = outbound_environment(url)
    seconds = settings.NOTIFICATION_TIMEOUT
    timeout = urllib3.Timeout(connect=seconds, read=seconds, total=2 * seconds)
    headers = {"Content-Type": "application/json", "User-Agent": "Credential-Manager", **headers}
    tls = verified_by(ca_bundle) if parts.scheme == "https" else {}
    try:
        if proxy:
            # Behind HTTPS_PROXY the proxy resolves the name: it is the network's own gate.
            with proxy_manager(proxy, timeout=timeout, retries=False, **tls) as manager:
                response = manager.urlopen("POST", url, body=body, headers=headers, redirect=False,
                                           preload_content=False)
        else:
            with _pinned_pool(parts, address, timeout, tls) as pool:
                response = pool.urlopen(
                    "POST", (parts.path or "/") + (f"?{parts.query}" if parts.query else ""),
                    body=body, headers={**headers, "Host": parts.netloc}, redirect=False,
                    preload_content=False, assert_same_host=False,
                )
        # Only the status matters: the answer's body is never read.
        status = response.status
        response.close()
    except urllib3.exceptions.SSLError:
        raise DeliveryFailed("The receiver's TLS certificate could not be verified.") from None
    except urllib3.exceptions.TimeoutError:
        raise DeliveryFailed(f"The receiver did not answer within {seconds:g} s.") from None
    except urllib3.exceptions.HTTPError:
        raise DeliveryFailed("Could not connect to the receiver.") from None
    except ProxyMisconfigured as error:
        raise DeliveryFailed(error.detail) from None
    except OSError:
        raise DeliveryFailed("The CA certificates (REQUESTS_CA_BUNDLE) could not be read.") from None
    if 300 <= status < 400:
        raise DeliveryFailed(f"The receiver answered HTTP {status}, a redirect; redirects are not followed.")
    if not 200 <= status < 300:
        raise DeliveryFailed(f"The receiver answered HTTP {status}.")


def _pinned_pool(parts, address: str, timeout, tls: dict):
    """Return a one-connection pool to address (checked by ensure_callable), verifying TLS for the URL's host."""
    port = parts.port or (443 if parts.scheme == "https" else 80)
    if not tls:
        return urllib3.HTTPConnectionPool(address, port, timeout=timeout, retries=False, maxsize=1)
    return urllib3.HTTPSConnectionPool(address, port, timeout=timeout, retries=False, maxsize=1,
                                       server_hostname=parts.hostname, assert_hostname=parts.hostname, **tls)
