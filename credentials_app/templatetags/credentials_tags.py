"""Template filters of the credentials app."""
from django import template
from django.utils.timesince import timesince

register = template.Library()


@register.filter
def ago(moment) -> str:
    """Return how long ago moment was, in words: "just now", or "5 minutes ago"."""
    elapsed = timesince(moment)
    # timesince's smallest unit is the minute: under one it says "0 minutes".
    return "just now" if elapsed.startswith("0") else f"{elapsed} ago"


@register.filter
def thousands(number) -> str:
    """Return number with comma thousands separators: 1204 -> "1,204"."""
    return f"{number:,}"
