"""Run the provider sandbox: `python -m connectors.sandbox --port 8443 --cert-dir var`.

Serves HTTPS emulations of every provider on loopback until Ctrl-C or SIGTERM, and writes the
CA certificate that verifies it to <cert-dir>/sandbox-ca.pem.
"""
import argparse
import signal
import sys
import threading
from pathlib import Path

from connectors.sandbox import keys
from connectors.sandbox.server import SandboxServer


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m connectors.sandbox",
        description="Local HTTPS emulations of every provider's documented hosts.",
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8443, help="port to listen on (default: 8443)")
    parser.add_argument(
        "--cert-dir", type=Path, default=Path("var"), help="where to write sandbox-ca.pem (default: var)"
    )
    parser.add_argument("--quiet", action="store_true", help="print nothing but errors")
    parser.add_argument("--print-keys", action="store_true", help="print the test keys and exit")
    parser.add_argument(
        "--slow-seconds",
        type=float,
        default=25.0,
        help=f"how long {keys.SLOW} waits before answering (default: 25, past the read timeout)",
    )
    parser.add_argument(
        "--trickle-seconds",
        type=float,
        default=keys.TRICKLE_SECONDS,
        help=f"how long {keys.TRICKLE} takes to drip out its answer (default: {keys.TRICKLE_SECONDS:g})",
    )
    return parser.parse_args(argv)


def key_table() -> str:
    """Return the test keys as an indented table: provider, outcome, key."""
    # The key goes last: the expired Moshtix JWT is too long for a column.
    width = max(len(outcome) for _, _, outcome in keys.TABLE)
    rows = "\n".join(f"  {provider:<10} {outcome:<{width}}  {key}" for provider, key, outcome in keys.TABLE)
    return f"Test keys:\n  {'Provider':<10} {'Outcome':<{width}}  Key\n{rows}"


def describe(server: SandboxServer) -> str:
    """Return the banner: where the sandbox listens, how to point the app at it, and the test keys."""
    return (
        f"Provider sandbox listening on {server.url}\n"
        f"CA certificate: {server.ca_bundle}\n\n"
        "Point the app at it with:\n"
        f"  PROVIDER_SANDBOX_URL={server.url}\n"
        "  PROVIDER_SANDBOX_ALLOWED=true\n"
        f"  PROVIDER_SANDBOX_CA_BUNDLE={server.ca_bundle}\n\n"
        f"{key_table()}\n\n"
        "Press Ctrl-C to stop."
    )


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.print_keys:
        print(key_table(), flush=True)
        return 0
    stopping = threading.Event()
    # Set before anything else, so a signal during start-up also ends in a clean stop. The server
    # runs in its own thread so the main thread is free to receive signals and stop it.
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stopping.set())
    try:
        server = SandboxServer(host=args.host, port=args.port, cert_dir=args.cert_dir)
    except OSError as error:
        print(f"Could not start the provider sandbox on {args.host}:{args.port}: {error.strerror}", file=sys.stderr)
        return 1
    server.state.slow_seconds = args.slow_seconds
    server.state.trickle_seconds = args.trickle_seconds
    server.start()
    if not args.quiet:
        print(describe(server), flush=True)
    # Wait in short steps: a signal delivered to a server thread only runs its Python handler when
    # the main thread next wakes, and an untimed wait would never wake.
    while not stopping.wait(timeout=0.2):
        pass
    server.stop()
    if not args.quiet:
        print("Provider sandbox stopped.", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
