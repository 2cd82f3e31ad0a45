"""Speed and memory figures for the operations commands: `make bench` (python -m tests.benchmarks).

Prints figures and ratios against plain baselines; asserts nothing (speed targets never go in
the test suite). Each part runs in a child process on its own temporary SQLite file, so figures
are not skewed by this process and nothing touches var/ or the test database.

1. rotate_encryption_key over 100,000 credentials, against a plain UPDATE of the same rows.
2. check_credentials over 1,000 credentials, against a local provider emulation answering in 200 ms.
3. The API's credential list (GET /api/v1/credentials/): queries and median time for a person with
   10 credentials and one with 10,000, first page and a page deep in the cursor walk.
"""
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
ROTATION_ROWS = 100_000
ROTATION_TARGET_SECONDS = 5.0
CHECK_ROWS = 1_000
CHECK_DELAY_SECONDS = 0.2
CHECK_TARGET_SECONDS = 10.0
CHECK_PROVIDERS = ("humanitix", "moshtix", "custify", "tixy", "peopleai")


# --- Parent: start the children ------------------------------------------------------------------


def main() -> int:
    print(f"Benchmarks on {os.cpu_count()} CPUs, Python {sys.version.split()[0]}, SQLite temporary files.\n")
    with tempfile.TemporaryDirectory(prefix="bench-rotation-") as directory:
        env = _child_env(Path(directory))
        _child("setup", env, ROTATION_ROWS)
        _child("rotation", env)
    with tempfile.TemporaryDirectory(prefix="bench-check-") as directory:
        env = _child_env(Path(directory))
        sandbox = _start_sandbox(Path(directory))
        try:
            url = sandbox.stdout.readline().strip()
            env.update(
                PROVIDER_SANDBOX_URL=url,
                PROVIDER_SANDBOX_ALLOWED="true",
                PROVIDER_SANDBOX_CA_BUNDLE=str(Path(directory) / "sandbox-ca.pem"),
            )
            _child("setup-check", env, CHECK_ROWS)
            _child("check", env, "--concurrency", "32", "--per-provider", "8")
            _child("check", env, "--concurrency", "32", "--per-provider", "4")
        finally:
            sandbox.terminate()
            sandbox.wait(timeout=10)
    with tempfile.TemporaryDirectory(prefix="bench-api-") as directory:
        env = _child_env(Path(directory))
        _child("api-list", env)
    return 0


def _child_env(directory: Path) -> dict:
    from credentials_app.crypto import generate_key

    env = {name: value for name, value in os.environ.items() if not name.startswith("DATABASE_")}
    env.update(
        DJANGO_SETTINGS_MODULE="credentials_app.settings",
        DATABASE_URL=f"sqlite:///{directory / 'bench.sqlite3'}",
        VAR_DIR=str(directory),
        CREDENTIALS_ENCRYPTION_KEYS=generate_key(),
        BENCH_NEW_KEY=generate_key(),
        LOG_LEVEL="WARNING",
    )
    return env


def _child(part: str, env: dict, *args) -> None:
    subprocess.run([sys.executable, "-m", "tests.benchmarks", part, *map(str, args)], cwd=BASE_DIR, env=env,
                   check=True)


_SANDBOX = """
import sys
from pathlib import Path
from connectors.sandbox.server import SandboxServer
server = SandboxServer(cert_dir=Path(sys.argv[1]))
server.state.delay_seconds = float(sys.argv[2])
print(server.url, flush=True)
server.serve_forever()
"""


def _start_sandbox(directory: Path) -> subprocess.Popen:
    """Run the provider emulation in its own process, so it does not share this one's GIL."""
    return subprocess.Popen([sys.executable, "-c", _SANDBOX, str(directory), str(CHECK_DELAY_SECONDS)],
                            cwd=BASE_DIR, stdout=subprocess.PIPE, text=True)


# --- Children: each one a fresh Django on the temporary database ---------------------------------


def _django():
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def _create_credentials(count: int, providers: tuple[str, ...], key: str, username: str = "bench-owner"):
    from django.contrib.auth import get_user_model

    from credentials_app.models import Credential

    owner = get_user_model().objects.create_user(username)
    for start in range(0, count, 5000):
        rows = []
        for n in range(start, min(count, start + 5000)):
            credential = Credential(owner=owner, provider=providers[n % len(providers)], name=f"Credential {n}")
            credential.set_key(key if key else f"secret-{n:06d}")
            rows.append(credential)
        Credential.objects.bulk_create(rows, batch_size=1000)
    return owner


def _peak_memory_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def child_setup(count: str) -> None:
    _django()
    started = time.perf_counter()
    _create_credentials(int(count), ("humanitix",), key="")
    print(f"Set-up: {int(count):,} credentials created in {time.perf_counter() - started:.1f} s")


def child_rotation() -> None:
    import io

    _django()
    from django.core.management import call_command
    from django.db import connection, transaction
    from django.test import override_settings

    from credentials_app.models import Credential

    table = connection.ops.quote_name(Credential._meta.db_table)
    with transaction.atomic(), connection.cursor() as cursor:
        started = time.perf_counter()
        cursor.execute(f"UPDATE {table} SET secret = secret || '', key_id = key_id")
        plain = time.perf_counter() - started
        rows = cursor.rowcount
    old = os.environ["CREDENTIALS_ENCRYPTION_KEYS"]
    with override_settings(CREDENTIALS_ENCRYPTION_KEYS=[os.environ["BENCH_NEW_KEY"], old]):
        output = io.StringIO()
        started = time.perf_counter()
        call_command("rotate_encryption_key", stdout=output)
        rotation = time.perf_counter() - started
    assert f"Re-encrypted: {rows}" in output.getvalue().splitlines(), output.getvalue()
    print(f"\n1. rotate_encryption_key, {rows:,} credentials, SQLite, batches of 1,000")
    print(f"   plain UPDATE of the same rows (one statement): {plain:.2f} s")
    print(f"   rotation: {rotation:.2f} s ({rows / rotation:,.0f} secrets/s, {rotation / plain:.1f}x the plain UPDATE)")
    print(f"   target {ROTATION_TARGET_SECONDS:.0f} s: {rotation / ROTATION_TARGET_SECONDS:.2f} of the target")
    print(f"   peak memory (max RSS of the process): {_peak_memory_mb():.0f} MB")


def child_setup_check(count: str) -> None:
    from connectors.sandbox import keys

    _django()
    _create_credentials(int(count), CHECK_PROVIDERS, key=keys.VALID)


def child_check(*args: str) -> None:
    import io

    from django.core.management import CommandError, call_command

    _django()
    output = io.StringIO()
    started = time.perf_counter()
    try:
        call_command("check_credentials", "--verbosity", "0", *args, stdout=output)
    except CommandError as error:
        output.write(f"{error}\n")
    elapsed = time.perf_counter() - started
    summary = ", ".join(line for line in output.getvalue().splitlines() if line)
    options = " ".join(args) + (" (the defaults)" if args == ("--concurrency", "32", "--per-provider", "8") else "")
    concurrency, per_provider = int(args[1]), int(args[3])
    # The best these caps allow: the pool, or one provider's share through its slots, whichever is slower.
    floor = max(CHECK_ROWS / concurrency, CHECK_ROWS / len(CHECK_PROVIDERS) / per_provider) * CHECK_DELAY_SECONDS
    print(f"\n2. check_credentials, {CHECK_ROWS:,} credentials over {len(CHECK_PROVIDERS)} providers, "
          f"provider answers in {CHECK_DELAY_SECONDS * 1000:.0f} ms; {options}")
    print(f"   {summary}")
    print(f"   elapsed {elapsed:.2f} s, {elapsed / CHECK_ROWS * 1000:.1f} ms per credential; "
          f"serial would be {CHECK_ROWS * CHECK_DELAY_SECONDS:.0f} s, these caps allow {floor:.1f} s at best "
          f"({elapsed / floor:.2f}x that)")
    print(f"   target {CHECK_TARGET_SECONDS:.0f} s: {elapsed / CHECK_TARGET_SECONDS:.2f} of the target")
    print(f"   peak memory (max RSS of the process): {_peak_memory_mb():.0f} MB")


API_LIST_SIZES = (10, 10_000)
API_LIST_REPEATS = 20


def child_api_list() -> None:
    import statistics

    from django.db import connection
    from django.test import Client

    _django()
    from credentials_app.services.tokens import token_create

    client = Client(HTTP_HOST="127.0.0.1")
    print(f"\n3. GET /api/v1/credentials/ (50 per page), SQLite, median of {API_LIST_REPEATS} requests")
    figures = {}
    for size in API_LIST_SIZES:
        owner = _create_credentials(size, CHECK_PROVIDERS, key="", username=f"owner-{size}")
        _, raw = token_create(creator=owner, name="Bench", scopes=["credentials:read"])
        headers = {"Authorization": f"Bearer {raw}"}
        # A page deep in the walk: follow the cursor as far as the list goes, at most 20 pages.
        cursor = ""
        for _ in range(min(20, size // 50)):
            cursor = client.get("/api/v1/credentials/", {"cursor": cursor}, headers=headers).json()["next_cursor"] or ""
        for label, params in (("first page", {}), ("a later page", {"cursor": cursor})):
            queries = []
            with connection.execute_wrapper(lambda execute, sql, *rest: queries.append(sql) or execute(sql, *rest)):
                response = client.get("/api/v1/credentials/", params, headers=headers)
            assert response.status_code == 200, response.content
            times = []
            for _ in range(API_LIST_REPEATS):
                started = time.perf_counter()
                client.get("/api/v1/credentials/", params, headers=headers)
                times.append(time.perf_counter() - started)
            figures[size, label] = (len(queries), statistics.median(times))
            print(f"   {size:>6,} credentials, {label:<12}: {len(queries)} queries, "
                  f"median {statistics.median(times) * 1000:.1f} ms")
    small, large = API_LIST_SIZES
    for label in ("first page", "a later page"):
        (q_small, t_small), (q_large, t_large) = figures[small, label], figures[large, label]
        print(f"   {label}: {large:,} vs {small}: queries {q_large} vs {q_small}, time ratio {t_large / t_small:.1f}x")


CHILDREN = {
    "api-list": child_api_list,
    "setup": child_setup,
    "rotation": child_rotation,
    "setup-check": child_setup_check,
    "check": child_check,
}

if __name__ == "__main__":
    if len(sys.argv) > 1:
        CHILDREN[sys.argv[1]](*sys.argv[2:])
    else:
        sys.exit(main())
