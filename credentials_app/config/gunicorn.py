"""How `make run` (and `make bench`) serve the app with gunicorn: `gunicorn -c python:credentials_app.config.gunicorn`.

Two processes per core (at most 8), each with a few threads. Threads cover the waits on providers and the
database; processes let Python use every core, and keep one busy process from holding all the
kept-alive client connections while the other cores idle. Override with WEB_CONCURRENCY (processes)
and GUNICORN_THREADS (threads each).
"""
import os

wsgi_app = "credentials_app.config.wsgi"
# gunicorn's gthread worker, reading each request in before a thread serves it (see gunicorn_worker.py).
worker_class = "credentials_app.config.gunicorn_worker.ReadAheadThreadWorker"
# The CPUs this process may use (Python 3.13+ honours CPU affinity), capped: each process holds its own
# database connections. (Check budgets and proxy rate limits are shared: see counting_windows.py.)
_cpus = (getattr(os, "process_cpu_count", None) or os.cpu_count)() or 1
workers = int(os.environ.get("WEB_CONCURRENCY") or min(2 * _cpus, 8))
threads = int(os.environ.get("GUNICORN_THREADS") or 4)
# A key check may wait on a slow provider for up to its read timeout, several times over.
timeout = 90
# Connections one process holds at once, kept-alive ones included. Bounded, so that kept-alive
# clients spread over the processes instead of all landing on the first one to accept.
worker_connections = int(os.environ.get("GUNICORN_CONNECTIONS") or 2 * threads)
# Seconds a request has to arrive (its head, and a body up to 1 MiB) before it is answered 408 and
# closed: a client sending a byte a second holds a connection that long, never a thread.
_read_deadline = float(os.environ.get("GUNICORN_READ_DEADLINE") or 20)


def post_fork(server, worker):
    worker.read_deadline = _read_deadline
