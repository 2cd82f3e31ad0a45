"""Accounts: the owner created on first run."""
from django.contrib.auth import get_user_model
from django.db import connection, transaction


class AlreadySetUp(Exception):
    """The install already has an account; the owner page is gone."""


def owner_create(*, user) -> None:
    """Save user (unsaved, from the setup form) as the owner superuser, if no account exists yet.

    Two first-run requests at once must not both create an owner: the check and the insert run
    under a table lock (PostgreSQL), or in SQLite's IMMEDIATE transaction, which admits one writer.
    """
    User = get_user_model()
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute(f"LOCK TABLE {connection.ops.quote_name(User._meta.db_table)} IN EXCLUSIVE MODE")
        if User.objects.exists():
            raise AlreadySetUp
        user.is_staff = True
        user.is_superuser = True
        user.save()
