"""Credentials management: the list, a credential's page, and one small POST view per action."""
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.debug import sensitive_post_parameters, sensitive_variables
from django.views.decorators.http import require_POST

from connectors.registry import CONNECTORS
from credentials_app import events
from credentials_app.access import MANAGE, access_level, get_credential_for
from credentials_app.forms import CredentialEditForm, CredentialFilterForm, MachineReadsForm, MoveAndDeleteForm
from credentials_app.models import Credential
from credentials_app.provider_check import check_deadline_seconds
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
    credential_edit,
    credential_enable,
)
from credentials_app.machine.service import credential_set_machine_reads, credential_usage_today
from credentials_app.machine.refusals import credential_refusals_today
from credentials_app.services.pipeline_use import credential_pipeline_snippets
from credentials_app.status_words import check_result_words
from credentials_app.signin.decorators import posted_true, second_look_required
from credentials_app.throttles import CheckThrottled
from credentials_app.views.form_errors import add_service_errors, form_errors_json
from credentials_app.views.throttled import with_retry_after

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
        {"form": form, "page": page, "rows": credential_rows(request.user, page.object_list), "providers": CONNECTORS},
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
        "history": [(event, events.summary(event, may_manage=can_manage)) for event in history_page],
        # The dialog is rendered only when asked for, so the page holds no key field otherwise.
        "edit_form": CredentialEditForm(credential=credential) if can_manage and request.GET.get("edit") else None,
        "move_form": MoveAndDeleteForm(user=request.user, credential=credential),
        "machine_reads_form": MachineReadsForm(
            initial={"allowed": credential.machine_reads_allowed, "connection_name": credential.connection_name}
        ),
        "token_usage": credential_usage_today(credential),
        "refusals_today": credential_refusals_today(credential),
        "check_deadline_seconds": check_deadline_seconds(),
        "pipeline_snippets": credential_pipeline_snippets(
            credential=credential, app_url=request.build_absolute_uri("/")
        ),
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
    try:
        result = credential_check(credential=credential, actor=request.user)
    except CheckThrottled as refusal:
        messages.warning(request, f"{refusal.message} The status stays “{credential.get_status_display()}”.")
        return with_retry_after(_render_detail(request, credential), refusal)
    credential.refresh_from_db()
    level, text = check_result_words(result, status_label=credential.get_status_display())
    messages.add_message(request, level, text)
    return _back(credential)


@sensitive_post_parameters("key")
@sensitive_variables()
@login_required
@require_POST
def credential_edit_view(request, pk, *, require_key: bool = False):
    """Save the edit dialog; on a refusal save nothing and say so, with everything typed kept.

    The dialog posts with fetch and gets JSON: the page keeps every value typed, a refused key too,
    and is never a result rendered at this POST URL. Without JavaScript the page comes back with
    the dialog open and everything typed but the key.
    """
    credential = get_credential_for(request.user, pk, manage=True)
    form = CredentialEditForm(request.POST, credential=credential, require_key=require_key)
    refusal = None
    if form.is_valid():
        before = Credential.objects.get(pk=credential.pk)
        data = form.cleaned_data
        try:
            credential_edit(
                credential=credential, actor=request.user, name=data["name"], description=data["description"],
                options=form.options(), key=data["key"] or None,
            )
        except CheckFailed as failure:
            _show_check_failure(form, failure, before=before)
        except CheckThrottled as throttled:
            refusal = throttled
            what = "The key was not replaced." if data["key"] else "Nothing was changed."
            form.add_error("key" if data["key"] else None, f"{what} {refusal.message}")
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _edit_summary(before, credential, key_replaced=bool(data["key"])))
            if _from_fetch(request):
                return JsonResponse({"ok": True, "url": reverse("credential_detail", args=[credential.pk])})
            return _back(credential)
    if _from_fetch(request):
        response = JsonResponse({"ok": False, "message": NOTHING_SAVED, "errors": form_errors_json(form)}, status=400)
        return with_retry_after(response, refusal) if refusal else response
    form.add_error(None, NOTHING_SAVED)
    credential.refresh_from_db()
    response = _render_detail(request, credential, status=400, edit_form=form)
    return with_retry_after(response, refusal) if refusal else response


NOTHING_SAVED = "Nothing was saved: correct what is marked and save again, or cancel."


def _from_fetch(request) -> bool:
    """Return whether the page's script sent the request and reads a JSON answer."""
    return request.headers.get("X-Requested-With") == "fetch"


def _show_check_failure(form, failure: CheckFailed, *, before: Credential) -> None:
    """Put a refused check beside the input it concerns: the setting it names, else the new key."""
    key_given = bool(form.cleaned_data["key"])
    changed_settings = [
        setting.name for setting in before.connector.settings
        if form.cleaned_data[setting.name] != before.settings_values()[setting.name]
    ]
    field = failure.result.field if failure.result.field in form.fields else None
    field = field or ("key" if key_given else next(iter(changed_settings), None))
    what = "The key was not replaced" if key_given else "The settings were not changed"
    form.add_error(field, f"{what}: {failure.result.message}")


def _edit_summary(before: Credential, after: Credential, *, key_replaced: bool) -> str:
    """Return what an edit changed, in the users' words."""
    said = []
    if after.name != before.name:
        said.append(f"Renamed “{before.name}” to “{after.name}”.")
    if after.description != before.description:
        said.append("Description saved.")
    if key_replaced:
        said.append(f"Key replaced. The new key {after.masked_fingerprint} was verified; the old key is gone.")
    if after.options != before.options:
        settings = ", ".join(f"{label}: {value}" for label, value in after.settings_display())
        said.append(f"Settings saved ({settings}); the key was verified with them.")
    return " ".join(said) or "Nothing was changed."


def credential_replace_key_view(request, pk):
    """The former Replace key form: an edit that must carry a new key."""
    return credential_edit_view(request, pk, require_key=True)


@login_required
@require_POST
@second_look_required(when=posted_true("allowed"))
def credential_machine_reads_view(request, pk):
    """Allow or stop machine reads of the key, and set the connection id tools read it by."""
    credential = get_credential_for(request.user, pk, manage=True)
    form = MachineReadsForm(request.POST)
    if form.is_valid():
        allowed = form.cleaned_data["allowed"]
        try:
            credential_set_machine_reads(
                credential=credential, actor=request.user, allowed=allowed,
                connection_name=form.cleaned_data["connection_name"],
            )
        except ValidationError as error:
            form.add_error("connection_name", error.message_dict.get("connection_name", error.messages))
        else:
            messages.success(request, "Machine reads allowed." if allowed else "Machine reads are off.")
            return _back(credential)
    credential.refresh_from_db()
    return _render_detail(request, credential, status=400, machine_reads_form=form)


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
@second_look_required
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
