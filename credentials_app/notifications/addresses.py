"""Which webhook URLs the app may call, and how a URL is shown without its secret.

A webhook URL is the user's own, so it is an outbound call to a place we do not choose. Rules:
HTTPS only; the host must resolve to public addresses. With NOTIFICATION_ALLOW_PRIVATE_URLS
(default: DEBUG) a URL may reach private and loopback addresses, and plain http:// is allowed to
loopback only (a receiver on the same machine, as in tests). The path and query often are the
secret (Slack's is), so only scheme and host are ever shown or logged.
"""
import ipaddress
import socket
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError

_LOOPBACK_NAMES = {"localhost", "localhost.localdomain"}


def _is_loopback(host: str) -> bool:
    if host.lower() in _LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def validate_webhook_url(url: str) -> None:
    """Raise ValidationError unless url is a webhook URL the app may store (no DNS lookup)."""
    try:
        parts = urlsplit(url.strip())
        parts.port  # noqa: B018  (raises ValueError on a bad port)
    except ValueError:
        raise ValidationError("Enter a valid URL.") from None
    if parts.username or parts.password:
        raise ValidationError("Put no user name or password in the URL; the message is signed instead.")
    if not parts.hostname:
        raise ValidationError("Enter a full URL, starting with https://.")
    if parts.scheme == "https":
        return
    if parts.scheme == "http" and settings.NOTIFICATION_ALLOW_PRIVATE_URLS and _is_loopback(parts.hostname):
        return
    raise ValidationError("The URL must start with https:// (plain http:// only to this machine, when allowed).")


class UrlRefused(Exception):
    """A webhook URL may not be called now; the message names why, never the URL's secret."""


def ensure_callable(url: str) -> str:
    """Return the address to connect to for url; raise UrlRefused unless url passes validate_webhook_url
    and its host resolves only to allowed addresses.

    The caller connects to the returned address itself, so a name that resolves to a public address
    here and to a private one a moment later (DNS rebinding) cannot move the call.
    """
    try:
        validate_webhook_url(url)
    except ValidationError as error:
        raise UrlRefused(error.messages[0]) from None
    host = urlsplit(url).hostname
    try:
        infos = socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)
    except (socket.gaierror, UnicodeError):
        raise UrlRefused(f"The host {host} could not be resolved.") from None
    addresses = [ipaddress.ip_address(info[4][0].split("%")[0]) for info in infos]
    if not settings.NOTIFICATION_ALLOW_PRIVATE_URLS and not all(map(_is_public, addresses)):
        # The address itself is not said: the message would map the network's private names for anyone.
        raise UrlRefused(
            f"{host} resolves to a private address; NOTIFICATION_ALLOW_PRIVATE_URLS=true allows private receivers."
        )
    return str(addresses[0])


def _is_public(address) -> bool:
    """Return True for a global address, and for an IPv6 one only if the IPv4 address it may carry is global too.

    NAT64 (64:ff9b::/96), IPv4-mapped, 6to4 and IPv4-compatible addresses reach an IPv4 host; Python
    calls some of them global whatever that host is.
    """
    if not address.is_global:
        return False
    if address.version == 6:
        packed = address.packed
        carried = [address.ipv4_mapped, address.sixtofour]
        if packed[:12] == bytes(12) or address in ipaddress.ip_network("64:ff9b::/96"):
            carried.append(ipaddress.IPv4Address(packed[12:]))
        return all(ipv4.is_global for ipv4 in carried if ipv4 is not None)
    return True
