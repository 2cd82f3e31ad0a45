"""The connect flow: catalog, Authenticate screen, the Add Credential overlay, and naming."""
import uuid

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.views.decorators.debug import sensitive_post_parameters, sensitive_variables
from django.views.decorators.http import require_POST

from connectors.registry import connectors_for, get_connector
from credentials_app.access import credentials_usable_by
from credentials_app.forms import ConnectionNameForm, CredentialForm
from credentials_app.models import Connection
from credentials_app.provider_check import check_deadline_seconds
from credentials_app.selectors import credential_tile, credential_tiles
from credentials_app.services.connections import connection_create
from credentials_app.services.credentials import CheckFailed, credential_create
from credentials_app.views.form_errors import add_service_errors
from credentials_app.throttles import CheckThrottled
from credentials_app.views.throttled import throttled_json

# The users' words, as on the home page ("New Data Source", "New Destination").
KIND_LABELS = {Connection.Kind.SOURCE: "Data Source", Connection.Kind.DESTINATION: "Destination"}


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
            form = ConnectionNameForm(
                request.POST if naming else None,
                initial={"credential": chosen.pk, "creation_token": uuid.uuid4()},
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
    return render(
        request,
        "credentials_app/authenticate.html",
        {
            "kind": kind,
            "kind_label": kind_label,
            "connector": connector,
            "tiles": credential_tiles(request.user, connector.id),
            "form": CredentialForm(connector=connector, initial={"creation_token": uuid.uuid4()}),
            "selection_error": selection_error,
            "check_deadline_seconds": check_deadline_seconds(),
        },
    )


def _usable_credential(user, provider, pk):
    """Return the enabled credential pk of provider if user may use it, else None."""
    try:
        pk = uuid.UUID(str(pk))
    except ValueError:
        return None
    return credentials_usable_by(user).filter(provider=provider, disabled_at__isnull=True, pk=pk).first()


def _failure_answer(*, outcome: str, message: str, status: int, **extra) -> JsonResponse:
    """Return the overlay's answer to a save that stored nothing; it never carries the key."""
    return JsonResponse({"ok": False, "outcome": outcome, "message": message, **extra}, status=status)


def _invalid_answer(form) -> JsonResponse:
    errors = {field: [str(message) for message in messages] for field, messages in form.errors.items()}
    return _failure_answer(outcome="invalid", message="Please correct the fields marked below.", status=400, errors=errors)


def _check_failed_answer(failure: CheckFailed) -> JsonResponse:
    result = failure.result
    return _failure_answer(
        outcome=str(result.outcome), message=result.message, status=422, retry_after=result.retry_after,
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
    tile = credential_tile(request.user, credential)
    tile_html = render_to_string("credentials_app/_credential_tile.html", {"tile": tile, "selected": True}, request=request)
    return JsonResponse(
        {
            "ok": True,
            "credential": {"id": str(credential.pk), "name": credential.name, "status": credential.status},
            "tile_html": tile_html,
            "next_creation_token": str(uuid.uuid4()),
        },
        status=201,
    )


@login_required
def connection_detail(request, pk):
    connection = get_object_or_404(
        Connection.objects.select_related("credential", "credential__owner"), pk=pk, owner=request.user
    )
    still_usable = credentials_usable_by(request.user).filter(pk=connection.credential_id).exists()
    return render(
        request,
        "credentials_app/connection_detail.html",
        {"connection": connection, "connector": get_connector(connection.provider), "still_usable": still_usable},
    )
