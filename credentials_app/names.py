"""Names people give things (credentials, teams, data sources): one normal form, nothing hidden."""
import unicodedata

from django.core.exceptions import ValidationError

NAME_MAX_LENGTH = 100
DESCRIPTION_MAX_LENGTH = 500


def _hidden_characters(text: str) -> bool:
    # Cc: control characters; Cf: zero-width and bidirectional overrides, which make two names
    # that look the same differ, or make a name display in another order than it is stored.
    return any(unicodedata.category(char) in ("Cc", "Cf") for char in text)


def clean_name(value, *, field: str, what: str, max_length: int = NAME_MAX_LENGTH) -> str:
    """Return value as a stored name (NFKC, trimmed), or raise ValidationError on field.

    what names the thing in the message ("credential", "team", "data source").
    """
    name = unicodedata.normalize("NFKC", value or "").strip()
    if not name:
        raise ValidationError({field: f"Enter a name for the {what}."})
    if _hidden_characters(name):
        raise ValidationError(
            {field: "The name contains invisible or control characters. Type it again without them."}
        )
    if len(name) > max_length:
        raise ValidationError({field: f"Keep the name to {max_length} characters or fewer."})
    return name


def clean_description(value, *, field: str = "description") -> str:
    """Return value as a stored description (NFKC, trimmed), or raise ValidationError on field."""
    description = unicodedata.normalize("NFKC", value or "").strip()
    if len(description) > DESCRIPTION_MAX_LENGTH:
        raise ValidationError({field: f"Keep the description under {DESCRIPTION_MAX_LENGTH} characters."})
    if any(unicodedata.category(char) in ("Cc", "Cf") and char not in "\n\r\t" for char in description):
        raise ValidationError({field: "The description contains invisible or control characters."})
    return description
