"""Credentials: list, get, create, edit, replace the key, check, disable, enable, delete, history."""
from uuid import UUID

from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import prefetch_related_objects
from django.db.models.functions import Lower
from django.views.decorators.debug import sensitive_variables
from ninja import Query, Router, Schema, Status

from credentials_app import events
from credentials_app.access import MANAGE, access_level, credentials_manageable_by, get_credential_for, get_team_for
from credentials_app.api.auth import CHECK, READ, WRITE, audited_as_token
from credentials_app.api.paging import DEFAULT_LIMIT, MAX_LIMIT, keyset_page
from credentials_app.api.problems import problem_responses
from credentials_app.api.schemas import (
    CheckOut,
    CredentialCreateIn,
    CredentialEditIn,
    CredentialOut,
    CredentialPage,
    Cursor,
    EventPage,
    KeyIn,
    MoveAndDeleteIn,
    Text,
)
from credentials_app.models import Credential, CredentialShare
from credentials_app.selectors import (
    CredentialFilter,
    attention_labels,
    credential_annotated,
    credential_events,
    credentials_for_rows,
    credentials_matching,
    credential_replacements,
)
from credentials_app.services.credentials import (
    credential_check,
    credential_create,
    credential_delete,
    credential_disable,
    credential_edit_description,
    credential_enable,
    credential_rename,
    credential_replace_key,
)
from credentials_app.services.sharing import share_grant

router = Router(tags=["credentials"])
router.add_decorator(audited_as_token)


def credential_out(credential: Credential, *, manage: bool, connection_count: int) -> dict:
    """Return what the API shows of credential, annotated by with_attention; never its key."""
    return {
        "id": credential.pk,
        "provider": credential.provider,
        "name": credential.name,
        "description": credential.description,
        "settings": credential.options,
        "status": credential.status,
        "status_message": credential.status_message,
        "fingerprint": credential.masked_fingerprint,
        "disabled": credential.is_disabled,
        "needs_attention": credential.needs_attention,
        "attention": attention_labels(credential),
        "last_checked_at": credential.last_checked_at,
        "last_check_ms": credential.last_check_ms,
        "owner": credential.owner.get_username(),
        "access": MANAGE if manage else "use",
        "shares": [
            {"team_id": share.team_id, "team": share.team.name, "level": share.level}
            for share in credential.shares.all()
        ] if manage else [],
        "connection_count": connection_count,
        "created_at": credential.created_at,
        "updated_at": credential.updated_at,
    }


def _one(token, credential: Credential) -> dict:
    annotated = credential_annotated(credential)
    return credential_out(
        annotated, manage=access_level(token, credential) == MANAGE, connection_count=credential.connections.count()
    )


class ListFilters(Schema):
    provider: Text = ""
    status: Text = ""
    team: UUID | None = None
    needs_attention: bool = False
    q: Text = ""
    cursor: Cursor = ""
    limit: int = DEFAULT_LIMIT


@router.get("/", response={200: CredentialPage, **problem_responses(404)}, auth=READ)
def list_credentials(request, filters: Query[ListFilters]):
    """List the credentials the token may use, with the credentials page's filters, by name."""
    token = request.auth
    team = get_team_for(token, filters.team) if filters.team else None
    chosen = CredentialFilter(
        provider=filters.provider, status=filters.status, team=team,
        needs_attention=filters.needs_attention, query=filters.q,
    )
    page, next_cursor = keyset_page(
        credentials_matching(token, chosen).only("pk", "name").annotate(sort_name=Lower("name")),
        keys=("sort_name", "pk"), descending=False, cursor=filters.cursor,
        limit=min(max(filters.limit, 1), MAX_LIMIT),
    )
    by_pk = credentials_for_rows(row.pk for row in page)
    rows = [by_pk[row.pk] for row in page if row.pk in by_pk]
    prefetch_related_objects(rows, "shares__team")
    manageable = set(credentials_manageable_by(token).filter(pk__in=[row.pk for row in rows]).values_list("pk", flat=True))
    items = [
        credential_out(row, manage=row.pk in manageable, connection_count=row.connection_count) for row in rows
    ]
    return {"items": items, "next_cursor": next_cursor}


@router.post("/", response={201: CredentialOut, **problem_responses(409, 429)}, auth=WRITE)
@sensitive_variables()
def create_credential(request, payload: CredentialCreateIn):
    """Check the key with the provider and store it: 422 if rejected, 409 with a permit if it could not be asked.

    A team token's credential is owned by the person who created the token and shared with the
    team at "Can manage".
    """
    token = request.auth
    owner = token.acting_user
    # A team token creates as its creator, who must still be in the team: else they would own, and
    # manage, credentials made for a team they left.
    still_in_team = not token.is_team_token or token.team.memberships.filter(user=owner).exists()
    if owner is None or not owner.is_active or not still_in_team:
        raise PermissionDenied("This team token's creator can no longer own credentials. Create a new team token.")
    credential = credential_create(
        owner=owner, provider=payload.provider, name=payload.name, description=payload.description,
        key=payload.key, options=payload.settings, unverified_permit=payload.unverified_permit,
        accept_restricted=payload.accept_restricted,
    )
    if token.is_team_token:
        # Not one transaction with the create: the provider check must not hold a database lock.
        share_grant(credential=credential, team=token.team, level=CredentialShare.Level.MANAGE, actor=owner)
    return Status(201, _one(token, credential))


@router.get("/{uuid:credential_id}", response={200: CredentialOut, **problem_responses(404)}, auth=READ)
def get_credential(request, credential_id: UUID):
    credential = get_credential_for(request.auth, credential_id)
    return _one(request.auth, credential)


@router.patch("/{uuid:credential_id}", response={200: CredentialOut, **problem_responses(404)}, auth=WRITE)
def edit_credential(request, credential_id: UUID, payload: CredentialEditIn):
    """Rename the credential and/or replace its description (managers only)."""
    token = request.auth
    credential = get_credential_for(token, credential_id, manage=True)
    if payload.name is not None:
        credential_rename(credential=credential, name=payload.name, actor=token.acting_user)
    if payload.description is not None:
        credential_edit_description(credential=credential, description=payload.description, actor=token.acting_user)
    return _one(token, credential)


@router.post("/{uuid:credential_id}/key", response={200: CredentialOut, **problem_responses(404, 409, 429)}, auth=WRITE)
@sensitive_variables()
def replace_key(request, credential_id: UUID, payload: KeyIn):
    """Replace the key with one the provider verifies; otherwise nothing changes (422 or 409)."""
    token = request.auth
    credential = get_credential_for(token, credential_id, manage=True)
    credential_replace_key(credential=credential, key=payload.key, actor=token.acting_user)
    return _one(token, credential)


@router.post("/{uuid:credential_id}/check", response={200: CheckOut, **problem_responses(404, 429)}, auth=CHECK)
def check_credential(request, credential_id: UUID):
    """Check the stored key with the provider again; anyone who may use the credential may ask."""
    token = request.auth
    credential = get_credential_for(token, credential_id)
    before = credential.last_checked_at
    result = credential_check(credential=credential, actor=token.acting_user)
    return {
        "outcome": str(result.outcome), "message": result.message, "stored": credential.last_checked_at != before,
        "credential": _one(token, credential),
    }


@router.post("/{uuid:credential_id}/disable", response={200: CredentialOut, **problem_responses(404)}, auth=WRITE)
def disable_credential(request, credential_id: UUID):
    """Keep the credential and what uses it, but no longer offer it for new data sources."""
    credential = get_credential_for(request.auth, credential_id, manage=True)
    credential_disable(credential=credential, actor=request.auth.acting_user)
    return _one(request.auth, credential)


@router.post("/{uuid:credential_id}/enable", response={200: CredentialOut, **problem_responses(404)}, auth=WRITE)
def enable_credential(request, credential_id: UUID):
    credential = get_credential_for(request.auth, credential_id, manage=True)
    credential_enable(credential=credential, actor=request.auth.acting_user)
    return _one(request.auth, credential)


@router.delete("/{uuid:credential_id}", response={204: None, **problem_responses(404, 409)}, auth=WRITE)
def delete_credential(request, credential_id: UUID):
    """Delete the credential; 409 while data sources or destinations use it."""
    credential = get_credential_for(request.auth, credential_id, manage=True)
    credential_delete(credential=credential, actor=request.auth.acting_user)
    return Status(204, None)


@router.post(
    "/{uuid:credential_id}/move-and-delete", response={204: None, **problem_responses(404, 409)}, auth=WRITE
)
def move_and_delete_credential(request, credential_id: UUID, payload: MoveAndDeleteIn):
    """Move every data source and destination to replacement, then delete the credential, in one step."""
    token = request.auth
    credential = get_credential_for(token, credential_id, manage=True)
    replacement = credential_replacements(token, credential).filter(pk=payload.replacement).first()
    if replacement is None:
        raise ValidationError(
            {"replacement": "Choose an enabled credential of the same provider that you and every owner of a "
             "connection can use."}
        )
    credential_delete(credential=credential, actor=token.acting_user, replacement=replacement)
    return Status(204, None)


@router.get("/{uuid:credential_id}/history", response={200: EventPage, **problem_responses(404)}, auth=READ)
def credential_history(request, credential_id: UUID, cursor: Cursor = "", limit: int = DEFAULT_LIMIT):
    """Return the credential's audit history, newest first, each event in the history page's words."""
    credential = get_credential_for(request.auth, credential_id)
    may_manage = access_level(request.auth, credential) == MANAGE
    rows, next_cursor = keyset_page(
        credential_events(credential), keys=("created_at", "id"), descending=True, cursor=cursor,
        limit=min(max(limit, 1), MAX_LIMIT),
    )
    items = [
        {
            "id": event.pk, "action": event.action, "summary": events.summary(event, may_manage=may_manage), "actor": event.actor_name,
            "token": (event.details or {}).get("token"), "created_at": event.created_at,
        }
        for event in rows
    ]
    return {"items": items, "next_cursor": next_cursor}
