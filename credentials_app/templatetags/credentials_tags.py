"""Template filters of the credentials app."""
from django import template
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.dateformat import format as format_date
from django.utils.timesince import timesince

from credentials_app.status_words import check_duration, credential_state_summary, limit_in_words

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



@register.filter
def check_took(milliseconds) -> str:
    """Render a check's duration: "321 ms", or "20.0 s" from a second on."""
    return check_duration(milliseconds)


@register.filter
def limit_words(message: str) -> str:
    """Render a Limited access message without the advice meant for before saving."""
    return limit_in_words(message)


@register.filter
def state_summary(credential) -> str:
    """Render what the credential's last check found, for a page where it is chosen for use."""
    return credential_state_summary(credential)
