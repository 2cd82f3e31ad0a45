"""What the watch tells the rest of the app: a credential's health moved, its key was replaced, its key expires soon."""
from django.dispatch import Signal

# Sent inside the transaction that records the move, so a receiver's rows commit with it.
# Arguments: credential, old (a Credential.Status value), new (a Credential.Status value), cause (str, never a key), at (datetime).
health_changed = Signal()
# Sent inside the transaction that stores the new key. Arguments: credential, actor_name (str), at (datetime).
key_replaced = Signal()
# Sent once per warning. Arguments: credential, expires_at (datetime), days_left (int: 14, 3 or 1).
key_expiring = Signal()
