"""The sandbox's public test keys, for the overlay's "Sandbox keys" list; only while the sandbox is on."""
from django.contrib.auth.decorators import login_required
from django.http import Http404, JsonResponse

from connectors.registry import get_connector
from credentials_app.provider_check import sandbox_active
from credentials_app.services.sandbox_keys import sandbox_keys_for


@login_required
def sandbox_keys(request, provider):
    """Return the test keys that apply to provider, as JSON; 404 unless checks go to the sandbox.

    Fetched only when the list is opened, so a page never carries a sandbox key nobody asked for.
    """
    if not sandbox_active():
        raise Http404("The provider sandbox is off.")
    try:
        connector = get_connector(provider)
    except KeyError:
        raise Http404("Unknown provider.") from None
    return JsonResponse({"keys": sandbox_keys_for(connector)})
