"""WSGI entry point for gunicorn; gives a fresh install its master key file before serving."""
import logging
import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "credentials_app.config.settings")
application = get_wsgi_application()

from credentials_app import crypto  # noqa: E402  (needs the apps loaded above)
from credentials_app.key_file import ensure_key_file  # noqa: E402

try:
    ensure_key_file()
except crypto.KeyringError as error:
    # Served all the same: pages that need the key answer 503 with this message until it is fixed.
    logging.getLogger(__name__).error("%s", error)
