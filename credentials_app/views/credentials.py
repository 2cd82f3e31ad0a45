"""Credentials management: the list, a credential's page, and one small POST view per action."""
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.views.decorators.debug import sensitive_post_parameters, sensitive_variables
from django.views.decorators.http import require_POST

from connectors.base import Outcome
from credentials_app import events
from credentials_app.access import MANAGE, access_level, get_credential_for
from credentials_app.forms import (
    CredentialFilterForm,
    DescriptionForm,
    MoveAndDeleteForm,
    RenameForm,
    ReplaceKeyForm,
)
from credentials_app.selectors import (
    CREDENTIALS_PER_PAGE,
    attention_labels,
    credential_annotated,
    credential_connections,
    credential_events,
    credential_list,
    credential_rows,
)
from credentials_app.services.credentials import (
    CheckFailed,
    CredentialInUse,
    credential_check,
    credential_delete,
    credential_disable,
    credential_edit_description,
    credential_enable,
    credential_rename,
    credential_replace_key,
)

HISTORY_PER_PAGE = 50


@login_required
def credential_list_view(request):
    form = CredentialFilterForm(request.GET, user=request.user)
    page = Paginator(credential_list(request.user, form.filters()), CREDENTIALS_PER_PAGE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "credentials_app/credentials/list.html",
        {"form": form, "page": page, "rows": credential_rows(request.user, page.object_list)},
    )


@login_required
def credential_detail(request, pk):
    credential = get_credential_for(request.user, pk)
    return _render_detail(request, credential)


def _render_detail(request, credential, *, status=200, **forms_in_error):
    """Render the credential's page; forms_in_error replaces the empty form of the failed action."""
    can_manage = access_level(request.user, credential) == MANAGE
    credential = credential_annotated(credential)
    connections = list(credential_connections(credential))
    history_page = Paginator(credential_events(credential), HISTORY_PER_PAGE).get_page(request.GET.get("history"))
    context = {
        "credential": credential,
        "connector": credential.connector,
        "attention": attention_labels(credential),
        "can_manage": can_manage,
        "connections": connections,
        "history_page": history_page,
        "history": [(event, events.summary(event)) for event in history_page],
        "rename_form": RenameForm(initial={"name": credential.name}),
        "description_form": DescriptionForm(initial={"description": credential.description}),
        "replace_key_form": ReplaceKeyForm(credential=credential),
        "move_form": MoveAndDeleteForm(user=request.user, credential=credential),
        "delete_error": "",
    }
    context.update(forms_in_error)
    return render(request, "credentials_app/credentials/detail.html", context, status=status)


def _back(credential):
    return redirect("credential_detail", pk=credential.pk)


@login_required
@require_POST
def credential_check_now(request, pk):
    """Check the stored key again; anyone who may use the credential may ask."""
    credential = get_credential_for(request.user, pk)
    result = credential_check(credential=credential, actor=request.user)
    if result.outcome == Outcome.COULD_NOT_CHECK:
        messages.warning(
            request, f"Could not check: {result.message} The status stays “{credential.get_status_display()}”."
        )
    elif result.outcome == Outcome.REJECTED:
        messages.error(request, f"Checked: Rejected. {result.message}")
    elif result.outcome == Outcome.RESTRICTED:
        messages.warning(request, f"Checked: Limited access. {result.message}")
    else:
        messages.success(request, f"Checked: Verified. {result.message}")
    return _back(credential)


@sensitive_post_parameters("key")
@sensitive_variables()
@login_required
@require_POST
def credential_replace_key_view(request, pk):
    credential = get_credential_for(request.user, pk, manage=True)
    form = ReplaceKeyForm(request.POST, credential=credential)
    if form.is_valid():
        try:
            credential_replace_key(credential=credential, key=form.cleaned_data["key"], actor=request.user)
        except CheckFailed as failure:
            form.add_error("key", f"The key was not replaced: {failure.result.message}")
        except ValidationError as error:
            form.add_error("key", error.message_dict.get("key", error.messages))
        else:
            messages.success(
                request, f"Key replaced. The new key {credential.masked_fingerprint} was verified; the old key is gone."
            )
            return _back(credential)
    credential.refresh_from_db()
    return _render_detail(request, credential, status=400, replace_key_form=form)


def _edit_field(request, pk, *, form_class, field: str, form_name: str, save):
    """Run one single-field edit: save(credential, value) returns the success message or raises ValidationError."""
    credential = get_credential_for(request.user, pk, manage=True)
    form = form_class(request.POST)
    if form.is_valid():
        try:
            message = save(credential, form.cleaned_data[field])
        except ValidationError as error:
            form.add_error(field, error.message_dict.get(field, error.messages))
        else:
            messages.success(request, message)
            return _back(credential)
    credential.refresh_from_db()
    return _render_detail(request, credential, status=400, **{form_name: form})


@login_required
@require_POST
def credential_rename_view(request, pk):
    def save(credential, name):
        old_name = credential.name
        credential_rename(credential=credential, name=name, actor=request.user)
        return f"Renamed “{old_name}” to “{credential.name}”."

    return _edit_field(request, pk, form_class=RenameForm, field="name", form_name="rename_form", save=save)


@login_required
@require_POST
def credential_edit_description_view(request, pk):
    def save(credential, description):
        credential_edit_description(credential=credential, description=description, actor=request.user)
        return "Description saved."

    return _edit_field(
        request, pk, form_class=DescriptionForm, field="description", form_name="description_form", save=save
    )


@login_required
@require_POST
def credential_disable_view(request, pk):
    credential = get_credential_for(request.user, pk, manage=True)
    credential_disable(credential=credential, actor=request.user)
    messages.success(
        request, f"“{credential.name}” is disabled: it is kept, but no longer offered when choosing a credential."
    )
    return _back(credential)


@login_required
@require_POST
def credential_enable_view(request, pk):
    credential = get_credential_for(request.user, pk, manage=True)
    credential_enable(credential=credential, actor=request.user)
    messages.success(request, f"“{credential.name}” is enabled again.")
    return _back(credential)


@login_required
@require_POST
def credential_delete_view(request, pk):
    """Delete the credential; with a chosen replacement, move what uses it there first."""
    credential = get_credential_for(request.user, pk, manage=True)
    replacement = None
    move_form = MoveAndDeleteForm(request.POST, user=request.user, credential=credential)
    if "replacement" in request.POST:
        if not move_form.is_valid():
            return _render_detail(request, credential, status=400, move_form=move_form)
        replacement = move_form.cleaned_data["replacement"]
    name = credential.name
    try:
        credential_delete(credential=credential, actor=request.user, replacement=replacement)
    except CredentialInUse as refusal:
        return _render_detail(request, credential, status=409, delete_error=str(refusal))
    except ValidationError as error:
        move_form.add_error("replacement", error.message_dict.get("replacement", error.messages))
        return _render_detail(request, credential, status=400, move_form=move_form)
    if replacement is not None:
        messages.success(request, f"Moved what used “{name}” to “{replacement.name}” and deleted “{name}”.")
    else:
        messages.success(request, f"Deleted “{name}”.")
    return redirect("credential_list")
