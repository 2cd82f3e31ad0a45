"""Send the notifications that are due: once, or in a loop for a worker without a scheduler."""
import signal
import threading

from django.core.management.base import BaseCommand, CommandError

from credentials_app.notifications.outbox import deliver_due, deliver_forever


class Command(BaseCommand):
    help = (
        "Send due notifications (email, Slack, webhooks) and schedule retries for those that fail. "
        "--once (the default) sends what is due and exits; --forever keeps going every --interval seconds. "
        "Several may run at once, on one or many servers: each message is sent by one of them."
    )

    def add_arguments(self, parser):
        mode = parser.add_mutually_exclusive_group()
        mode.add_argument("--once", action="store_true", help="Send what is due now, then exit (the default).")
        mode.add_argument("--forever", action="store_true", help="Keep sending until stopped (SIGTERM or Ctrl-C).")
        parser.add_argument("--interval", type=float, default=5.0, metavar="SECONDS",
                            help="With --forever, how long to wait when nothing is due (default 5).")
        parser.add_argument("--limit", type=int, default=100,
                            help="Messages taken per round (default 100).")

    def handle(self, *args, **options):
        if options["limit"] < 1 or options["interval"] <= 0:
            raise CommandError("--limit must be 1 or more and --interval above 0.")
        if not options["forever"]:
            while (report := deliver_due(limit=options["limit"])).taken:
                self.stdout.write(str(report))
                if report.taken < options["limit"]:
                    break
            return
        stop = threading.Event()
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
        try:
            deliver_forever(stop=stop, interval=options["interval"], limit=options["limit"],
                            on_report=lambda report: self.stdout.write(str(report)))
        except KeyboardInterrupt:
            pass
