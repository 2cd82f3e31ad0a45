"""How many secrets the database holds, asked before a missing key file may be replaced."""
from django.db import DatabaseError, connection

from credentials_app.models import Credential


def stored_secret_count() -> int | None:
    """Return the number of stored secrets (0 before the first migration), or None if the database cannot say."""
    try:
        if Credential._meta.db_table not in connection.introspection.table_names():
            return 0
        return Credential.objects.count()
    except DatabaseError:
        return None
