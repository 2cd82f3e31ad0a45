"""Check stored credentials again against their providers, e.g. nightly from cron."""
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from connectors.base import Outcome
from connectors.registry import CONNECTORS
from credentials_app.services import bulk_recheck
from credentials_app.models import Credential
from credentials_app.management.progress import ProgressBar


class Command(BaseCommand):
    help = (
        "Check stored credentials again against their providers and store each outcome. "
        "Exits with status 1 if any credential was rejected."
    )

    def add_arguments(self, parser):
        parser.add_argument("--provider", choices=[connector.id for connector in CONNECTORS],
                            help="Only credentials of this provider.")
        parser.add_argument("--team", help="Only credentials shared with this team (its name or id).")
        parser.add_argument("--status", choices=Credential.Status.values, help="Only credentials with this status.")
        parser.add_argument("--older-than", metavar="AGE",
                            help="Only credentials last checked longer ago than AGE (e.g. 12h, 7d), or never.")
        parser.add_argument("--include-disabled", action="store_true", help="Check disabled credentials too.")
        parser.add_argument("--concurrency", type=int, default=32, help="Checks running at once (default 32).")
        parser.add_argument("--per-provider", type=int, default=8,
                            help="Checks running at once against one provider (default 8).")
        parser.add_argument("--max-retry-wait", type=float, default=60.0, metavar="SECONDS",
                            help="Longest Retry-After to wait for before retrying a rate-limited check once "
                                 "(default 60).")

    def handle(self, *args, **options):
        if options["concurrency"] < 1 or options["per_provider"] < 1:
            raise CommandError("--concurrency and --per-provider must be 1 or more.")
        try:
            team = bulk_recheck.team_find(options["team"]) if options["team"] else None
            checked_before = (
                timezone.now() - bulk_recheck.parse_age(options["older_than"]) if options["older_than"] else None
            )
        except ValueError as error:
            raise CommandError(str(error)) from None
        credentials = list(
            bulk_recheck.credentials_to_check(
                provider=options["provider"],
                team=team,
                status=options["status"],
                checked_before=checked_before,
                include_disabled=options["include_disabled"],
            )
        )
        self.verbosity = options["verbosity"]
        self.bar = ProgressBar(self.stdout, len(credentials), "Checking")
        checker = bulk_recheck.BulkChecker(
            concurrency=options["concurrency"],
            per_provider=options["per_provider"],
            max_retry_wait=options["max_retry_wait"],
        )
        counts = checker.run(credentials, on_result=self.show_result)
        self.bar.finish()
        for outcome in Outcome:
            label = outcome.label.lower()
            if outcome != Outcome.RESTRICTED or counts[outcome]:
                self.stdout.write(f"{label}: {counts[outcome]}")
        if counts[Outcome.REJECTED]:
            raise CommandError(f"{counts[Outcome.REJECTED]} credentials were rejected by their provider.")

    def show_result(self, credential, result):
        self.bar.advance()
        if not self.bar.enabled and self.verbosity >= 1:
            # Names, provider and fingerprint only: never the key.
            self.stdout.write(
                f"{result.outcome.label.lower()}: {credential.name} ({credential.provider}, "
                f"{credential.masked_fingerprint}) — {result.message}"
            )
