"""Re-encrypt every stored secret under the first key of CREDENTIALS_ENCRYPTION_KEYS."""
from django.core.management.base import BaseCommand, CommandError

from credentials_app import crypto, rotation
from credentials_app.management.progress import ProgressBar


class Command(BaseCommand):
    help = (
        "Re-encrypt every stored secret under the first key of CREDENTIALS_ENCRYPTION_KEYS, in batches. "
        "Safe to run while the app serves, and to run again after an interruption. "
        "--check only reports which keys still protect secrets."
    )

    def add_arguments(self, parser):
        parser.add_argument("--check", action="store_true",
                            help="Report how many secrets each key protects and which old keys can be removed.")
        parser.add_argument("--batch-size", type=int, default=1000,
                            help="Secrets re-encrypted per transaction (default 1000).")
        parser.add_argument("--pause", type=float, default=0.0, metavar="SECONDS",
                            help="Wait between batches, to leave room for the app on a busy database.")

    def handle(self, *args, **options):
        try:
            keyring = crypto.get_keyring()
        except crypto.KeyringError as error:
            raise CommandError(str(error)) from None
        if options["check"]:
            self.report_usage()
            return
        if options["batch_size"] < 1:
            raise CommandError("--batch-size must be 1 or more.")
        self.rotate(keyring, options["batch_size"], options["pause"])

    def report_usage(self):
        for usage in rotation.secrets_key_usage():
            if usage.is_primary:
                standing, verdict = "primary", "new secrets are encrypted with it"
            elif not usage.is_configured:
                standing = "missing from CREDENTIALS_ENCRYPTION_KEYS"
                verdict = f"Can't decrypt: key {usage.key_id} missing"
            elif usage.safe_to_remove:
                standing, verdict = "configured", "safe to remove"
            else:
                standing, verdict = "configured", "still needed: run rotate_encryption_key"
            self.stdout.write(f"Key {usage.key_id} ({standing}): {usage.count} secrets, {verdict}")

    def rotate(self, keyring, batch_size, pause):
        total = rotation.secrets_to_rotate()
        self.stdout.write(f"Re-encrypting {total} secrets under key {keyring.primary_id}.")
        bar = ProgressBar(self.stdout, total, "Re-encrypting")
        seen = 0

        def on_batch(report, rows):
            nonlocal seen
            seen += rows
            bar.advance(rows)
            if not bar.enabled:
                self.stdout.write(f"Re-encrypted {report.rotated} of {total} ({seen} processed)")
                self.stdout.flush()

        report = rotation.secrets_rotate(batch_size=batch_size, pause_seconds=pause, on_batch=on_batch)
        bar.finish()
        self.stdout.write(f"Re-encrypted: {report.rotated}")
        if report.changed_meanwhile:
            self.stdout.write(f"Left alone, key replaced meanwhile: {report.changed_meanwhile}")
        for reason, count in sorted(report.unreadable.items()):
            self.stdout.write(f"Skipped, {reason}: {count}")
        if report.unreadable:
            # Non-zero so a scripted rotation does not go on to remove a key that is still needed.
            raise CommandError(
                f"{sum(report.unreadable.values())} secrets could not be decrypted and were left unchanged. "
                "Add their keys back to CREDENTIALS_ENCRYPTION_KEYS and run this again."
            )
