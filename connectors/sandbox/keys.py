"""Documented sandbox test keys: each one drives one outcome, on every provider unless noted."""

VALID = "sandbox_key_valid"  # accepted (People.ai: Production only; TIXY: a public token)
REJECTED = "sandbox_key_rejected"  # refused as the provider documents it (any unknown key too)
SLOW = "sandbox_key_slow"  # answers only after the sandbox's slow delay (25 s: past the read timeout)
RATE_LIMITED = "sandbox_key_ratelimited"  # HTTP 429 with Retry-After: 30
RATE_LIMITED_BRIEFLY = "sandbox_key_ratelimited_brief"  # HTTP 429 with Retry-After: 1
SERVER_ERROR = "sandbox_key_error"  # HTTP 503
BAD_BODY = "sandbox_key_badbody"  # HTTP 200 with an HTML maintenance page instead of JSON
REDIRECT = "sandbox_key_redirect"  # HTTP 302 to another sandbox path (the app must not follow it)
HUGE_BODY = "sandbox_key_huge"  # HTTP 200, the success shape padded past HUGE_BODY_BYTES
TRICKLE = "sandbox_key_trickle"  # HTTP 200, a valid answer dripped out over the trickle delay
BROKEN_TLS = "sandbox_key_brokentls"  # HTTP 200, then a corrupt TLS record in the middle of the body
STREAM = "sandbox_key_stream"  # HTTP 200, a JSON body of STREAM_BYTES written in pieces (proxy streaming)

CUSTIFY_FORBIDDEN = "sandbox_key_forbidden"  # Custify: valid, but 403 on companies
TIXY_PRIVATE = "sandbox_key_private"  # TIXY: a private token (403 on the public host)
PEOPLEAI_STAGING = "sandbox_key_staging"  # People.ai: valid on Staging only
PEOPLEAI_MOCK = "sandbox_key_mock"  # People.ai: valid on Mock only
# Moshtix: a JWT whose exp (2020-09-13) has passed; the app refuses it without calling Moshtix.
MOSHTIX_EXPIRED = (
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9."
    "eyJ0b2tlbklkIjoic2FuZGJveCIsImlhdCI6MTYwMDAwMDAwMCwiZXhwIjoxNjAwMDAwMDAxfQ."
    "c2FuZGJveC1zaWduYXR1cmU"
)

RETRY_AFTER_SECONDS = 30
BRIEF_RETRY_AFTER_SECONDS = 1
HUGE_BODY_BYTES = 2 * 1024 * 1024
# The default trickle delay (`--trickle-seconds`). Each drip comes well within any read timeout, so
# only a deadline on the whole check stops it.
TRICKLE_SECONDS = 3.0
TRICKLE_PIECES = 10
# Large enough that a proxy holding the answer whole would show it; the sandbox never holds it whole.
STREAM_BYTES = 100 * 1024 * 1024

TABLE = [
    ("All", VALID, "Verified (People.ai: on Production; TIXY: as a Public API Token)"),
    ("All", REJECTED, "Rejected, as the provider documents it"),
    ("All", SLOW, "Could not check: no answer before the read timeout"),
    ("All", RATE_LIMITED, f"Could not check: HTTP 429, retry after {RETRY_AFTER_SECONDS} s"),
    ("All", RATE_LIMITED_BRIEFLY, f"Could not check: HTTP 429, retry after {BRIEF_RETRY_AFTER_SECONDS} s"),
    ("All", SERVER_ERROR, "Could not check: HTTP 503"),
    ("All", BAD_BODY, "Could not check: an answer not in the documented shape"),
    ("All", REDIRECT, "Could not check: a redirect (HTTP 302), never followed"),
    ("All", BROKEN_TLS, "Could not check: the TLS stream breaks in the middle of the answer"),
    ("All", TRICKLE, f"Could not check when the deadline passes: a valid answer dripped over {TRICKLE_SECONDS:g} s"),
    ("All", HUGE_BODY, f"Could not check: an answer over {HUGE_BODY_BYTES // (1024 * 1024)} MiB, read only up to the cap"),
    ("All", STREAM, f"Verified by a proxy: a {STREAM_BYTES // (1024 * 1024)} MiB answer sent in pieces"),
    ("Custify", CUSTIFY_FORBIDDEN, "Valid key that may not read companies (403)"),
    ("TIXY", TIXY_PRIVATE, "Verified as a Private API Token; Access Denied as a Public one"),
    ("People.ai", PEOPLEAI_STAGING, "Verified on Staging; rejected on Production and Mock"),
    ("People.ai", PEOPLEAI_MOCK, "Verified on Mock; rejected on Production and Staging"),
    ("Moshtix", MOSHTIX_EXPIRED, "Rejected before any request: the JWT has expired"),
]


def table_for(provider_name: str) -> list[tuple[str, str]]:
    """Return (key, outcome) for each test key that applies to provider_name (its display name)."""
    return [(key, outcome) for provider, key, outcome in TABLE if provider in ("All", provider_name)]
