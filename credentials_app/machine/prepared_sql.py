"""SQL built once per process and run on the database driver's own cursor: for the machine endpoints' hot path.

Compiling an ORM query costs about five times running it, and Django's cursor wrapper about twice
the query itself (on SQLite a regular expression rewrites the placeholders of every statement). A
Statement keeps its SQL in both placeholder styles and runs on the driver's cursor, with the guards
Django's cursor applies. When queries are logged or wrapped (DEBUG, a test counting queries),
Django's cursor runs it instead, so they see it.
"""
import threading
from collections.abc import Callable
from dataclasses import dataclass

from django.db.backends.base.base import BaseDatabaseWrapper


@dataclass(frozen=True)
class Statement:
    sql: str  # with Django's %s placeholders
    driver_sql: str  # with the database driver's own

    @classmethod
    def of(cls, sql: str, connection: BaseDatabaseWrapper) -> "Statement":
        """Return sql (Django's %s placeholders, no literal "%": quoted names of Django models have none) for connection."""
        return cls(sql, sql.replace("%s", "?") if connection.vendor == "sqlite" else sql)


_statements: dict[tuple, Statement] = {}
_statements_lock = threading.Lock()


def statement(name: str, connection: BaseDatabaseWrapper, build: Callable[[BaseDatabaseWrapper], str]) -> Statement:
    """Return the statement name for connection, building its SQL with build(connection) the first time."""
    key = (name, connection.alias, connection.vendor)
    found = _statements.get(key)
    if found is None:
        with _statements_lock:
            found = _statements[key] = Statement.of(build(connection), connection)
    return found


def fetch_all(connection: BaseDatabaseWrapper, statement: Statement, params: list) -> list[tuple]:
    """Run statement with params on connection; return every row."""
    if connection.queries_logged or connection.execute_wrappers:
        with connection.cursor() as cursor:
            cursor.execute(statement.sql, params)
            return cursor.fetchall()
    # What connection.cursor() and its execute() guard with: a failed health check reconnects, a
    # broken transaction refuses, errors become Django's.
    connection.close_if_health_check_failed()
    connection.ensure_connection()
    connection.validate_thread_sharing()
    connection.validate_no_broken_transaction()
    with connection.wrap_database_errors:
        # SQLite's create_cursor() gives Django's placeholder-rewriting cursor; the driver's plain one is wanted.
        cursor = connection.connection.cursor() if connection.vendor == "sqlite" else connection.create_cursor()
        try:
            cursor.execute(statement.driver_sql, params)
            return cursor.fetchall()
        finally:
            cursor.close()
