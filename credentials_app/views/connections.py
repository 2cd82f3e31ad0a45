"""A data source or destination after Create: its page, rename, change its credential, re-test it, delete."""
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from connectors.registry import get_connector
from credentials_app.access import credentials_usable_by, get_connection_for, get_credential_for
from credentials_app.forms import ConnectionCredentialForm, ConnectionRenameForm
from credentials_app.models import Connection, Credential
from credentials_app.services.connections import connection_change_credential, connection_delete, connection_rename
from credentials_app.services.credentials import credential_check
from credentials_app.status_words import check_result_words, credential_state_summary
from credentials_app.throttles import CheckThrottled
from credentials_app.views.form_errors import add_service_errors


def _own_connection(user, pk) -> Connection:
    """Return user's connection pk; anyone else's is not found."""
    return get_connection_for(user, pk)


@login_required
def connection_detail(request, pk):
    connection = _own_connection(request.user, pk)
    return _render_detail(request, connection)


def _render_detail(request, connection, *, status=200, **forms_in_error):
    context = {
        "connection": connection,
        "connector": get_connector(connection.provider),
        "still_usable": credentials_usable_by(request.user).filter(pk=connection.credential_id).exists(),
        "rename_form": ConnectionRenameForm(connection=connection, initial={"name": connection.name}),
        "credential_form": ConnectionCredentialForm(connection=connection),
    }
    context.update(forms_in_error)
    return render(request, "credentials_app/connection_detail.html", context, status=status)


def _back(connection):
    return redirect("connection_detail", pk=connection.pk)


def _change(request, pk, *, form_class, form_name: str, save):
    """Run one change of the connection: save(connection, cleaned_data) returns (message level, text)."""
    connection = _own_connection(request.user, pk)
    form = form_class(request.POST, connection=connection)
    if form.is_valid():
        try:
            level, text = save(connection, form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.add_message(request, level, text)
            return _back(connection)
    connection.refresh_from_db()
    return _render_detail(request, connection, status=400, **{form_name: form})


@login_required
@require_POST
def connection_rename_view(request, pk):
    def save(connection, data):
        old_name = connection.name
        connection_rename(connection=connection, name=data["name"], actor=request.user)
        return messages.SUCCESS, f"Renamed “{old_name}” to “{connection.name}”."

    return _change(request, pk, form_class=ConnectionRenameForm, form_name="rename_form", save=save)


@login_required
@require_POST
def connection_credential_view(request, pk):
    def save(connection, data):
        credential = data["credential"]
        connection_change_credential(connection=connection, credential=credential, actor=request.user)
        said = f"“{connection.name}” now uses the credential “{credential.name}”."
        if credential.status != Credential.Status.VERIFIED:
            # As the Name step does: say plainly what the chosen key's last check found.
            return messages.WARNING, f"{said} {credential_state_summary(credential)}"
        return messages.SUCCESS, said

    return _change(request, pk, form_class=ConnectionCredentialForm, form_name="credential_form", save=save)


@login_required
@require_POST
def connection_check_view(request, pk):
    """Check the connection's credential again; only while its owner may still use that credential."""
    connection = _own_connection(request.user, pk)
    credential = get_credential_for(request.user, connection.credential_id)
    try:
        result = credential_check(credential=credential, actor=request.user)
    except CheckThrottled as refusal:
        messages.warning(request, f"“{credential.name}” was not checked. {refusal.message}")
        return _back(connection)
    credential.refresh_from_db()
    level, text = check_result_words(result, status_label=credential.get_status_display())
    messages.add_message(request, level, f"“{credential.name}”: {text}")
    return _back(connection)


@login_required
@require_POST
def connection_delete_view(request, pk):
    connection = _own_connection(request.user, pk)
    name, kind = connection.name, connection.get_kind_display()
    connection_delete(connection=connection, actor=request.user)
    messages.success(request, f"{kind} “{name}” deleted. Its credential is kept.")
    return redirect("home")
