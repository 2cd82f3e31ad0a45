"""Cursor paging: each page continues after the last row of the one before, so page 200 costs what page 1 does."""
import base64
import json

from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet

DEFAULT_LIMIT = 50
MAX_LIMIT = 200


def _encode(values) -> str:
    return base64.urlsafe_b64encode(json.dumps([str(value) for value in values]).encode()).decode()


def _decode(cursor: str, size: int) -> list[str]:
    try:
        values = json.loads(base64.urlsafe_b64decode(cursor.encode()))
    except (ValueError, UnicodeDecodeError):
        values = None
    if not isinstance(values, list) or len(values) != size or not all(isinstance(v, str) for v in values):
        raise ValidationError({"cursor": "That cursor is not one this API gave out."})
    return values


def keyset_page(queryset: QuerySet, *, keys: tuple[str, str], descending: bool, cursor: str, limit: int):
    """Return (rows, next cursor or None) of queryset, ordered by keys, after cursor.

    keys are two fields (or annotations) that together order the rows uniquely, the second being
    the primary key or another unique column.
    """
    first, second = keys
    if cursor:
        first_value, second_value = _decode(cursor, 2)
        after = "lt" if descending else "gt"
        queryset = queryset.filter(
            Q(**{f"{first}__{after}": first_value}) | Q(**{first: first_value, f"{second}__{after}": second_value})
        )
    prefix = "-" if descending else ""
    rows = list(queryset.order_by(f"{prefix}{first}", f"{prefix}{second}")[: limit + 1])
    if len(rows) <= limit:
        return rows, None
    rows = rows[:limit]
    last = rows[-1]
    return rows, _encode([getattr(last, first), getattr(last, second)])
