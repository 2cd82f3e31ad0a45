"""The connect flow: catalog, Authenticate screen, the Add Credential overlay, and naming."""
import uuid

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.views.decorators.debug import sensitive_post_parameters, sensitive_variables
from django.views.decorators.http import require_POST

from connectors.base import Outcome
from connectors.registry import connectors_for, get_connector
from credentials_app.forms import ConnectionNameForm, CredentialForm
from credentials_app.models import Connection
from credentials_app.provider_check import check_deadline_seconds
from credentials_app.selectors import (
    TILES_SHOWN,
    connection_name_suggestion,
    credential_tile,
    credential_tile_counts,
    credential_tiles,
    selectable_credentials,
)
from credentials_app.services.connections import connection_create
from credentials_app.services.credentials import (
    CheckFailed,
    CreationCancelled,
    credential_create,
    credential_creation_cancel,
)
from credentials_app.views.form_errors import add_service_errors, form_errors_json
from credentials_app.throttles import CheckThrottled
from credentials_app.views.throttled import throttled_json

# The users' words, as on the home page ("New Data Source", "New Destination").
KIND_LABELS = {Connection.Kind.SOURCE: "Data Source", Connection.Kind.DESTINATION: "Destination"}
# "Show more" grows the Authenticate screen by TILES_SHOWN at a time, up to this many tiles.
MAX_TILES_SHOWN = 480


def _kind_and_connector(kind: str, provider: str | None = None):
    if kind not in KIND_LABELS:
        raise Http404("Unknown flow.")
    if provider is None:
        return kind, None
    try:
        connector = get_connector(provider)
    except KeyError:
        raise Http404("Unknown provider.") from None
    if kind not in connector.kinds:
        raise Http404(f"{connector.name} cannot be a {KIND_LABELS[kind].lower()}.")
    return kind, connector


@login_required
def home(request):
    connections = Connection.objects.filter(owner=request.user).select_related("credential")
    return render(request, "credentials_app/home.html", {"connections": connections})


@login_required
def catalog(request, kind):
    kind, _ = _kind_and_connector(kind)
    query = request.GET.get("q", "").strip()
    connectors = [
        connector
        for connector in connectors_for(kind)
        if query.lower() in f"{connector.name} {connector.description}".lower()
    ]
    return render(
        request,
        "credentials_app/catalog.html",
        {"kind": kind, "kind_label": KIND_LABELS[kind], "connectors": connectors, "query": query},
    )


@login_required
def authenticate(request, kind, provider):
    """Show the credential tiles and the overlay; on Continue, ask for a name and create."""
    kind, connector = _kind_and_connector(kind, provider)
    kind_label = KIND_LABELS[kind]
    selection_error = ""
    if request.method == "POST":
        chosen = _usable_credential(request.user, connector.id, request.POST.get("credential"))
        if chosen is None:
            selection_error = "Select a credential first."
        else:
            naming = "name" in request.POST
            suggestion = connection_name_suggestion(
                request.user, provider_name=connector.name, provider=connector.id, kind=kind,
                kind_label=Connection.Kind(kind).label.lower(),
            )
            form = ConnectionNameForm(
                request.POST if naming else None,
                initial={"credential": chosen.pk, "creation_token": uuid.uuid4(), "name": suggestion},
                kind_label=kind_label,
            )
            if naming and form.is_valid():
                try:
                    connection = connection_create(
                        owner=request.user,
                        kind=kind,
                        provider=connector.id,
                        name=form.cleaned_data["name"],
                        credential=chosen,
                        creation_token=form.cleaned_data["creation_token"],
                    )
                except ValidationError as error:
                    add_service_errors(form, error)
                else:
                    messages.success(request, f"{kind_label} “{connection.name}” created.")
                    return redirect("connection_detail", pk=connection.pk)
            return render(
                request,
                "credentials_app/name_connection.html",
                {"kind": kind, "kind_label": kind_label, "connector": connector, "form": form, "credential": chosen},
            )
    query = request.GET.get("q", "").strip()
    shown = _shown(request.GET.get("shown"))
    matching, one_verified = credential_tile_counts(request.user, connector.id, query=query, up_to=shown)
    return render(
        request,
        "credentials_app/authenticate.html",
        {
            "kind": kind,
            "kind_label": kind_label,
            "connector": connector,
            "tiles": credential_tiles(
                request.user, connector.id, query=query, limit=shown,
                preselect_verified=one_verified and not selection_error,
            ),
            "query": query,
            "matching": matching,
            "show_more": shown + TILES_SHOWN if matching > shown else None,
            "searchable": matching > TILES_SHOWN or bool(query),
            "form": CredentialForm(connector=connector, initial={"creation_token": uuid.uuid4()}),
            "selection_error": selection_error,
            "check_deadline_seconds": check_deadline_seconds(),
        },
    )


def _shown(value) -> int:
    """Return how many tiles to show: TILES_SHOWN, or more after "Show more" (capped)."""
    try:
        return min(max(int(value), TILES_SHOWN), MAX_TILES_SHOWN)
    except (TypeError, ValueError):
        return TILES_SHOWN


@login_required
def credential_new(request, provider):
    """Add a credential from the Credentials page: the Add Credential overlay for provider, open."""
    try:
        connector = get_connector(provider)
    except KeyError:
        raise Http404("Unknown provider.") from None
    return render(
        request,
        "credentials_app/credentials/add.html",
        {
            "kind": connector.kinds[0],
            "connector": connector,
            "form": CredentialForm(connector=connector, initial={"creation_token": uuid.uuid4()}),
        },
    )


def _usable_credential(user, provider, pk):
    """Return the credential pk of provider if user may pick it (enabled, decryptable), else None."""
    try:
        pk = uuid.UUID(str(pk))
    except ValueError:
        return None
    return selectable_credentials(user, provider).filter(pk=pk).first()


def _failure_answer(*, outcome: str, message: str, status: int, **extra) -> JsonResponse:
    """Return the overlay's answer to a save that stored nothing; it never carries the key."""
    return JsonResponse({"ok": False, "outcome": outcome, "message": message, **extra}, status=status)


def _invalid_answer(form) -> JsonResponse:
    return _failure_answer(
        outcome="invalid", message="Please correct the fields marked below.", status=400, errors=form_errors_json(form)
    )


def _check_failed_answer(failure: CheckFailed) -> JsonResponse:
    """Return the answer to a check that refused saving; field names the input to mark, if any."""
    result = failure.result
    field = result.field or ("key" if result.outcome == Outcome.REJECTED else None)
    return _failure_answer(
        outcome=str(result.outcome), message=result.message, status=422, retry_after=result.retry_after, field=field,
        can_save_unverified=failure.can_save_unverified, unverified_permit=failure.permit,
        can_accept_restricted=failure.can_accept_restricted,
    )


@sensitive_post_parameters("key")
@sensitive_variables()
@login_required
@require_POST
def credential_add(request, kind, provider):
    """Check and store a new credential from the overlay; answer JSON, never echoing the key."""
    kind, connector = _kind_and_connector(kind, provider)
    form = CredentialForm(request.POST, connector=connector)
    if not form.is_valid():
        return _invalid_answer(form)
    data = form.cleaned_data
    try:
        credential = credential_create(
            owner=request.user, provider=connector.id, name=data["name"], description=data["description"],
            key=data["key"], options=form.options(), creation_token=data["creation_token"],
            unverified_permit=data["save_unverified"], accept_restricted=data["accept_restricted"],
        )
    except ValidationError as error:
        add_service_errors(form, error)
        return _invalid_answer(form)
    except CheckFailed as failure:
        return _check_failed_answer(failure)
    except CheckThrottled as refusal:
        return throttled_json(refusal)
    except CreationCancelled as cancelled:
        return _failure_answer(outcome="cancelled", message=str(cancelled), status=409)
    tile = credential_tile(request.user, credential)
    tile_html = render_to_string("credentials_app/_credential_tile.html", {"tile": tile, "selected": True}, request=request)
    return JsonResponse(
        {
            "ok": True,
            "credential": {
                "id": str(credential.pk), "name": credential.name, "status": credential.status,
                "url": reverse("credential_detail", args=[credential.pk]),
            },
            "tile_html": tile_html,
            "next_creation_token": str(uuid.uuid4()),
        },
        status=201,
    )


@login_required
@require_POST
def credential_add_cancel(request, kind, provider):
    """Cancel the overlay's Save in progress: its form never stores a credential; answer a fresh token."""
    _kind_and_connector(kind, provider)
    try:
        creation_token = uuid.UUID(request.POST.get("creation_token", ""))
    except ValueError:
        return _failure_answer(outcome="invalid", message="Nothing to cancel.", status=400)
    credential_creation_cancel(owner=request.user, creation_token=creation_token)
    return JsonResponse({"ok": True, "next_creation_token": str(uuid.uuid4())})
