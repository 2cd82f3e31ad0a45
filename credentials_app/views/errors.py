"""Error pages in the app's layout; the 403 keeps the reason the app gave."""
from django.http import HttpResponseForbidden
from django.template import loader


def permission_denied(request, exception):
    """Return the styled 403 page with the app's own reason ("You may use this credential but not change it.")."""
    reason = str(exception) if exception is not None else ""
    body = loader.render_to_string("403.html", {"reason": reason}, request=request)
    return HttpResponseForbidden(body)
