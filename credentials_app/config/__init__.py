"""Project configuration: settings, URLs, WSGI and the gunicorn config, away from the domain code."""
