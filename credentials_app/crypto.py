"""Encrypt secrets at rest with AES-256-GCM under a keyring of identified keys.

A stored value is self-describing: ``aesgcm1$<key id>$<base64 nonce+ciphertext>``. The key id
names the key that encrypted it, so old values keep decrypting after a new key is put first,
and ``must_update`` tells whether a value needs re-encrypting under the primary key. Every value is bound to its
owner's identity as associated data: a ciphertext copied onto another row does not decrypt.
"""
import base64
import binascii
import hashlib
import os
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.views.decorators.debug import sensitive_variables


_NONCE_BYTES = 12


class KeyringError(RuntimeError):
    """The encryption keys are missing or malformed; the message names the fix."""


class KeyFileMissing(KeyringError):
    """No key is configured and the key file is missing. Creating one is a start-up step (key_file.py)."""

    def __init__(self, path):
        self.path = path
        super().__init__(
            f"The encryption key file {path} is missing. Restore it from your backup, or set "
            "CREDENTIALS_ENCRYPTION_KEYS to the key(s) that encrypted the stored secrets."
        )


class SecretUnavailable(RuntimeError):
    """A stored secret cannot be decrypted. Carries the key id, never the secret."""

    def __init__(self, key_id: str, reason: str):
        self.key_id = key_id
        super().__init__(reason)


@dataclass(frozen=True)
class Keyring:
    """Keys by id; the primary one encrypts, every one decrypts."""

    primary_id: str
    keys: dict[str, bytes]

    def __contains__(self, key_id: str) -> bool:
        return key_id in self.keys


def generate_key() -> str:
    """Return a new random 256-bit key, URL-safe base64, for CREDENTIALS_ENCRYPTION_KEYS."""
    return base64.urlsafe_b64encode(os.urandom(32)).decode()


def key_id_for(raw_key: bytes) -> str:
    """Return the stable public id of a key: a short hash, never the key itself."""
    return hashlib.sha256(b"credentials-key-id:" + raw_key).hexdigest()[:12]


def _decode_key(text: str, position: int) -> bytes:
    try:
        raw = base64.urlsafe_b64decode(text.strip().encode() + b"=" * (-len(text.strip()) % 4))
    except (binascii.Error, ValueError):
        raw = b""
    if len(raw) != 32:
        raise KeyringError(
            f"Encryption key #{position} in CREDENTIALS_ENCRYPTION_KEYS is not a 256-bit base64 key. "
            "Generate one with `python manage.py generate_encryption_key`."
        )
    return raw


def _key_texts() -> list[str]:
    configured = [text for text in settings.CREDENTIALS_ENCRYPTION_KEYS if text.strip()]
    if configured:
        return configured
    path = settings.CREDENTIALS_ENCRYPTION_KEY_FILE
    try:
        return [line for line in path.read_text().split(",") if line.strip()]
    except FileNotFoundError:
        raise KeyFileMissing(path) from None
    except OSError as error:
        raise KeyringError(
            f"The encryption key file {path} could not be read ({error.strerror}). Make it readable by "
            "the account running the app, or set CREDENTIALS_ENCRYPTION_KEYS."
        ) from None


@lru_cache(maxsize=1)
@sensitive_variables()
def get_keyring() -> Keyring:
    """Return the keyring from CREDENTIALS_ENCRYPTION_KEYS, or the key file under var/."""
    texts = _key_texts()
    if not texts:
        raise KeyringError(
            "No encryption key is configured. Set CREDENTIALS_ENCRYPTION_KEYS to the output of "
            "`python manage.py generate_encryption_key`."
        )
    keys: dict[str, bytes] = {}
    for position, text in enumerate(texts, start=1):
        raw = _decode_key(text, position)
        keys[key_id_for(raw)] = raw
    return Keyring(primary_id=key_id_for(_decode_key(texts[0], 1)), keys=keys)


@receiver(setting_changed)
def _reset_keyring(*, setting, **kwargs):
    if setting in {"CREDENTIALS_ENCRYPTION_KEYS", "CREDENTIALS_ENCRYPTION_KEY_FILE"}:
        get_keyring.cache_clear()


@lru_cache(maxsize=16)
def _cipher(raw_key: bytes) -> AESGCM:
    # Cached by the key itself, so a changed keyring never reuses a stale cipher. Rotating
    # 100,000 secrets would otherwise build 200,000 of them.
    return AESGCM(raw_key)


class AesGcmV1:
    """AES-256-GCM with a random 96-bit nonce; payload is base64(nonce + ciphertext + tag)."""

    prefix = "aesgcm1"

    @sensitive_variables()
    def seal(self, raw_key: bytes, plaintext: str, associated_data: str) -> str:
        nonce = os.urandom(_NONCE_BYTES)
        sealed = _cipher(raw_key).encrypt(nonce, plaintext.encode(), associated_data.encode())
        return base64.urlsafe_b64encode(nonce + sealed).decode()

    @sensitive_variables()
    def open(self, raw_key: bytes, payload: str, associated_data: str) -> str:
        """Return the plaintext; raise InvalidTag, ValueError or binascii.Error if payload does not open."""
        blob = base64.urlsafe_b64decode(payload.encode())
        return _cipher(raw_key).decrypt(blob[:_NONCE_BYTES], blob[_NONCE_BYTES:], associated_data.encode()).decode()


# Stored values dispatch on their prefix, as Django's password hashers do: a future scheme is
# added here, and values under an older one are re-sealed under CURRENT as they are read.
SCHEMES = {scheme.prefix: scheme for scheme in (AesGcmV1(),)}
CURRENT = AesGcmV1.prefix


# Hide every local here and below (keys, plaintext) from error pages: the nearest decorated
# frame decides what Django masks in the frames it calls.
@sensitive_variables()
def encrypt(plaintext: str, *, associated_data: str) -> str:
    """Return plaintext sealed with the current scheme under the primary key, bound to associated_data."""
    keyring = get_keyring()
    payload = SCHEMES[CURRENT].seal(keyring.keys[keyring.primary_id], plaintext, associated_data)
    return f"{CURRENT}${keyring.primary_id}${payload}"


def key_id_of(stored: str) -> str:
    """Return the id of the key that encrypted stored, without decrypting it."""
    _, key_id, _ = _split(stored)
    return key_id


def is_sealed(value) -> bool:
    """Return whether value reads as a sealed secret (scheme, key id, payload), without opening it."""
    try:
        _split(value)
    except SecretUnavailable:
        return False
    return True


def _split(stored: str) -> tuple[str, str, str]:
    parts = (stored or "").split("$")
    if len(parts) != 3 or parts[0] not in SCHEMES:
        raise SecretUnavailable("unknown", "The stored secret is not in a format this app knows.")
    return parts[0], parts[1], parts[2]


@sensitive_variables()
def decrypt(stored: str, *, associated_data: str) -> str:
    """Return the plaintext of stored; raise SecretUnavailable if it cannot be decrypted."""
    prefix, key_id, payload = _split(stored)
    keyring = get_keyring()
    if key_id not in keyring:
        raise SecretUnavailable(key_id, f"Can't decrypt: key {key_id} missing")
    try:
        return SCHEMES[prefix].open(keyring.keys[key_id], payload, associated_data)
    except (InvalidTag, ValueError, binascii.Error):
        raise SecretUnavailable(
            key_id, f"Can't decrypt: the secret does not match key {key_id} or this credential"
        ) from None


def must_update(stored: str) -> bool:
    """Return True if stored was sealed with another scheme or under a key other than the primary one."""
    try:
        prefix, key_id, _ = _split(stored)
    except SecretUnavailable:
        return True
    return prefix != CURRENT or key_id != get_keyring().primary_id


# --- The values stored in rows besides credentials' keys (second factors, channels): one list per row ---


def stale(values) -> list[str]:
    """Return those of one row's stored values not sealed under the primary key: plaintext, or another key's."""
    return [value for value in values if value and must_update(value)]


def sealed_by(value: str) -> str:
    """Return the id of the key that sealed value, or "plaintext"."""
    return key_id_of(value) if is_sealed(value) else "plaintext"


def key_counts(rows) -> Counter:
    """Return how many rows each key id seals a value of (a row counts once per key)."""
    return Counter(key_id for values in rows for key_id in {key_id_of(value) for value in values if is_sealed(value)})


def sealed_rows(rows) -> int:
    """Return how many rows hold a sealed value."""
    return sum(1 for values in rows if any(is_sealed(value) for value in values))


def stale_rows(rows) -> int:
    """Return how many rows hold a value not sealed under the primary key."""
    return sum(1 for values in rows if stale(values))
