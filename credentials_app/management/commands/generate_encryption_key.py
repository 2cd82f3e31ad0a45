from django.core.management.base import BaseCommand

from credentials_app.crypto import generate_key, key_id_for


class Command(BaseCommand):
    help = "Print a new 256-bit encryption key for CREDENTIALS_ENCRYPTION_KEYS."

    def handle(self, *args, **options):
        import base64

        key = generate_key()
        self.stdout.write(key)
        self.stderr.write(
            f"Key id {key_id_for(base64.urlsafe_b64decode(key))}. Put it first in CREDENTIALS_ENCRYPTION_KEYS "
            "to encrypt new secrets with it; keep the old keys after it until rotation is done."
        )
