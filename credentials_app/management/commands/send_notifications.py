"""Send the notifications that are due: once, or in a loop for a worker without a scheduler."""
import signal
import time

from django.core.management.base import BaseCommand, CommandError

from credentials_app.notifications.outbox import deliver_due


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
            self.send_all_due(options["limit"])
            return
        stopping = []
        signal.signal(signal.SIGTERM, lambda *_: stopping.append(True))
        try:
            while not stopping:
                self.send_all_due(options["limit"])
                time.sleep(options["interval"])
        except KeyboardInterrupt:
            pass

    def send_all_due(self, limit: int) -> None:
        """Send rounds of up to limit messages until a round finds fewer than limit due."""
        while True:
            report = deliver_due(limit=limit)
            if report.sent or report.retrying or report.failed:
                self.stdout.write(str(report))
            if report.sent + report.retrying + report.failed < limit:
                return
