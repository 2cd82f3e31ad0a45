"""Each provider's real read, as a pipeline would send it through the proxy, derived from its declaration."""
import json
from urllib.parse import urlencode

# A caller of a provider that takes the key in the body names it as a variable it never holds; a guess
# of its own must be replaced.
CALLERS_GUESS = "a-guess-of-the-caller"


def real_read(connector) -> tuple[str, str, str, bytes | None]:
    """Return connector's check request as a proxied call: method, path below the base URL, query, body.

    The body carries no key (the proxy adds it); for a provider that takes the key in its body, it
    carries the caller's guess, which the proxy must replace.
    """
    options = connector.clean_options({})
    body = connector.check_body(options)
    if connector.key_in_body:
        body = {**(body or {}), "variables": {"token": CALLERS_GUESS}}
    return (
        connector.check_method,
        connector.declared("check_path", options).lstrip("/"),
        urlencode(connector.check_query(options)),
        None if body is None else json.dumps(body).encode(),
    )
