"""The answers Idempotency-Key keeps for a retry, sealed: one can hold a secret shown once (a new API token, an
invitation link)."""
import base64

from credentials_app import crypto


def kept_answer_seal(*, record_id, content: bytes) -> bytes:
    """Return content encrypted as the app's secrets are, bound to the record that keeps it."""
    return crypto.encrypt(base64.b64encode(content).decode(), associated_data=f"idempotency:{record_id}").encode()


def kept_answer_open(*, record_id, sealed: bytes) -> bytes | None:
    """Return what kept_answer_seal sealed, or None when the key that sealed it has been removed since."""
    try:
        return base64.b64decode(crypto.decrypt(bytes(sealed).decode(), associated_data=f"idempotency:{record_id}"))
    except crypto.SecretUnavailable:
        return None
