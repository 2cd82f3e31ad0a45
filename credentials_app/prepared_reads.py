"""Reads with SQL built once per process, run on the database driver's own cursor: for the machine endpoints' hot path.

Compiling an ORM query costs about five times running it (on SQLite, 1 ms against 0.2 ms), and
Django's cursor wrapper about twice the query itself (on SQLite a regular expression rewrites the
placeholders of every statement). A Statement keeps its SQL in both placeholder styles and runs on
the driver's cursor, with the guards Django's cursor applies; when queries are logged or wrapped
(DEBUG, a test counting queries), Django's cursor runs it instead, so they see it.

read_unique and its kin read one row by a unique column (a token, its person, a credential): the SQL
and the value converters are derived from the model, exactly as the ORM would use them, so the
instance returned is the one `Model.objects.filter(field=value).first()` gives.
"""
import threading
from collections.abc import Callable
from dataclasses import dataclass

from django.db import connections, router
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import Field, Model


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


@dataclass(frozen=True)
class _Part:
    """One model's columns in a plan's row: values[start:end], set on these attnames; its primary key at pk."""

    model: type[Model]
    start: int
    end: int
    attnames: list[str]
    pk: int


@dataclass(frozen=True)
class Subquery:
    """A scalar subquery read with the row: name keys its SQL, built once by sql(connection, row's primary key
    as an SQL expression) with one %s placeholder, whose value param_field prepares for the database."""

    name: str
    sql: Callable[[object, str], str]
    param_field: Field


@dataclass(frozen=True)
class _Plan:
    statement: Statement
    field: Field
    parts: list[_Part]
    converters: list[tuple[int, list, object]]


_plans: dict[tuple, _Plan] = {}
_plans_lock = threading.Lock()


def read_unique(model: type[Model], field_name: str, value) -> Model | None:
    """Return the instance of model whose unique field_name equals value, or None if there is none."""
    found = _read(model, field_name, value, None)
    return found[0] if found else None


def read_unique_joined(model: type[Model], field_name: str, value, foreign_key: str) -> tuple[Model | None, Model | None]:
    """Return read_unique's instance and the row its foreign_key names, read in one query; None for either absent.

    The related row is not set on the instance: a caller decides what a missing one means.
    """
    found = _read(model, field_name, value, foreign_key)
    return (found[0], found[1]) if found else (None, None)


def read_unique_with(model: type[Model], field_name: str, value, subquery: Subquery, param) -> tuple[Model | None, object]:
    """Return read_unique's instance and what subquery (given param) answers for its row, read in one query."""
    found = _read(model, field_name, value, None, subquery, param)
    return (found[0], found[1]) if found else (None, None)


def _read(model, field_name, value, foreign_key, subquery=None, param=None) -> list | None:
    connection = connections[router.db_for_read(model)]
    plan = _plan(model, field_name, foreign_key, subquery, connection)
    params = [plan.field.get_db_prep_value(value, connection)]
    if subquery is not None:  # its placeholder comes first, in the SELECT list
        params.insert(0, subquery.param_field.get_db_prep_value(param, connection))
    rows = fetch_all(connection, plan.statement, params)
    if not rows:
        return None
    values = list(rows[0])
    for position, converters, column in plan.converters:
        for converter in converters:
            values[position] = converter(values[position], column, connection)
    found = [
        # A LEFT JOIN that found nothing gives NULL for the related primary key.
        None if values[part.pk] is None else part.model.from_db(connection.alias, part.attnames, values[part.start:part.end])
        for part in plan.parts
    ]
    return found + [values[-1]] if subquery is not None else found


def _plan(model, field_name, foreign_key, subquery, connection) -> _Plan:
    key = (model, field_name, foreign_key, subquery and subquery.name, connection.alias, connection.vendor)
    plan = _plans.get(key)
    if plan is None:
        with _plans_lock:
            plan = _plans[key] = _build_plan(model, field_name, foreign_key, subquery, connection)
    return plan


def _build_plan(model, field_name, foreign_key, subquery, connection) -> _Plan:
    meta = model._meta
    field = meta.pk if field_name == "pk" else meta.get_field(field_name)
    if not (field.unique or field.primary_key):
        raise ValueError(f"{meta.label}.{field_name} is not unique")
    quote = connection.ops.quote_name
    tables = [(model, meta.db_table)]
    joins = ""
    if foreign_key is not None:
        relation = meta.get_field(foreign_key)
        related_meta = relation.related_model._meta
        # An alias, so a model pointing at its own table would still work.
        tables.append((relation.related_model, "joined"))
        joins = (f" LEFT OUTER JOIN {quote(related_meta.db_table)} {quote('joined')}"
                 f" ON {quote('joined')}.{quote(relation.target_field.column)} = {quote(meta.db_table)}.{quote(relation.column)}")
    columns, parts, converters = [], [], []
    for each_model, table in tables:
        fields = each_model._meta.concrete_fields  # in this order: from_db() takes values by position
        start = len(columns)
        for each in fields:
            column = each.get_col(table)
            found = connection.ops.get_db_converters(column) + column.get_db_converters(connection)
            if found:
                converters.append((len(columns), found, column))
            columns.append(f"{quote(table)}.{quote(each.column)}")
        pk = start + [each.primary_key for each in fields].index(True)
        parts.append(_Part(each_model, start, len(columns), [each.attname for each in fields], pk))
    if subquery is not None:
        columns.append(f"({subquery.sql(connection, f'{quote(meta.db_table)}.{quote(meta.pk.column)}')})")
    sql = (f"SELECT {', '.join(columns)} FROM {quote(meta.db_table)}{joins} "
           f"WHERE {quote(meta.db_table)}.{quote(field.column)} = %s")
    return _Plan(Statement.of(sql, connection), field, parts, converters)
