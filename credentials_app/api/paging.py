"""Cursor paging: each page continues after the last row of the one before, so page 200 costs what page 1 does."""
from django.core import signing
from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet

DEFAULT_LIMIT = 50
MAX_LIMIT = 200


# Signed: a cursor names a row the API handed out, so a forged one is refused before it reaches a query.
CURSOR_SALT = "credentials.api.cursor"


def _encode(values) -> str:
    return signing.Signer(salt=CURSOR_SALT).sign_object([str(value) for value in values])


def _decode(cursor: str, size: int) -> list[str]:
    try:
        values = signing.Signer(salt=CURSOR_SALT).unsign_object(cursor)
    except (signing.BadSignature, ValueError, UnicodeDecodeError):
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
