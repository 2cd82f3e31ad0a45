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

import requests
from django.conf import settings
from django.core.mail import EmailMessage, get_connection

from credentials_app.notifications.addresses import UrlRefused, ensure_callable
from credentials_app.notifications.models import Notification, NotificationChannel

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
        connection=get_connection(timeout=settings.NOTIFICATION_TIMEOUT),
    )
    try:
        message.send()
    except OSError as error:  # smtplib's errors are OSErrors, as are refused connections and timeouts
        raise DeliveryFailed(f"The mail server did not take it ({type(error).__name__}).") from None


def _post(url: str, body: bytes, headers: dict) -> None:
    try:
        ensure_callable(url)
    except UrlRefused as refused:
        raise DeliveryFailed(str(refused)) from None
    timeout = settings.NOTIFICATION_TIMEOUT
    try:
        with requests.post(
            url, data=body, headers={"Content-Type": "application/json", "User-Agent": "Credential-Manager", **headers},
            timeout=(timeout, timeout), allow_redirects=False, verify=True, stream=True,
        ) as response:
            status = response.status_code
    except requests.exceptions.SSLError:
        raise DeliveryFailed("The receiver's TLS certificate could not be verified.") from None
    except requests.exceptions.Timeout:
        raise DeliveryFailed(f"The receiver did not answer within {timeout:g} s.") from None
    except requests.exceptions.RequestException:
        raise DeliveryFailed("Could not connect to the receiver.") from None
    except OSError:
        raise DeliveryFailed("The CA certificates (REQUESTS_CA_BUNDLE) could not be read.") from None
    if 300 <= status < 400:
        raise DeliveryFailed(f"The receiver answered HTTP {status}, a redirect; redirects are not followed.")
    if not 200 <= status < 300:
        raise DeliveryFailed(f"The receiver answered HTTP {status}.")
