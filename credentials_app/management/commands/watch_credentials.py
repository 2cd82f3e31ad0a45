"""Run the watch: check each credential again on its schedule, send expiry warnings, deliver notifications.

`make run` starts it beside gunicorn.
"""
import signal
import threading

from django.core.management.base import BaseCommand

from credentials_app.notifications.outbox import deliver_due, deliver_forever
from credentials_app.watch.worker import Watcher


class Command(BaseCommand):
    help = (
        "Check credentials again on their schedule (WATCH_CHECK_INTERVAL_HOURS) and warn of keys about to "
        "expire, until stopped. Run one on every app server: each due check runs once across all of them."
    )

    def add_arguments(self, parser):
        parser.add_argument("--until-idle", action="store_true",
                            help="Stop once nothing is due, instead of waiting for the next due check.")
        parser.add_argument("--worker-id", default="", help="The name this worker claims checks under.")

    def handle(self, *args, **options):
        stop = threading.Event()
        # SIGTERM (make run's exit, systemd stop) ends the worker after the batch in hand is recorded.
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, lambda *_: stop.set())
        # Notifications go out from a thread of their own: a slow receiver must not hold up checks.
        sender = threading.Thread(target=deliver_forever, kwargs={"stop": stop}, name="notifications", daemon=True)
        sender.start()
        try:
            Watcher(worker_id=options["worker_id"]).serve(stop=stop, until_idle=options["until_idle"])
        finally:
            stop.set()
            sender.join(timeout=30)
        if options["until_idle"]:
            deliver_due(limit=100)
