"""Template filters of the credentials app."""
from django import template
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.dateformat import format as format_date
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


@register.filter
def when(moment) -> str:
    """Return moment in the server's time zone with the zone named: "22 Nov 2026, 14:03 UTC"."""
    if not moment:
        return ""
    return format_date(timezone.localtime(moment), "j M Y, H:i T")


@register.simple_tag(takes_context=True)
def current_page(context, *sections) -> str:
    """Return aria-current="page" when the request's path is in one of sections ("/" matches only itself)."""
    request = context.get("request")
    path = request.path if request is not None else ""
    if any(path == section if section == "/" else path.startswith(section) for section in sections):
        return mark_safe(' aria-current="page"')
    return ""

