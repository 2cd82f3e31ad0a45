"""API tokens: a person lists, creates and revokes their tokens, and those of the teams they administer.

Like sharing and teams, tokens are a person's act: team tokens are refused (403). A token created
here holds no scope the calling token lacks and expires no later.
"""
from uuid import UUID

from django.utils import timezone
from ninja import Router, Status

from credentials_app.access import get_team_for, get_token_for, tokens_manageable_by
from credentials_app.api.auth import READ, WRITE, audited_as_token
from credentials_app.api.connections import person_of
from credentials_app.api.problems import problem_responses
from credentials_app.api.schemas import TokenCreatedOut, TokenIn, TokenOut
from credentials_app.models import ApiToken
from credentials_app.services.tokens import token_create, token_revoke

router = Router(tags=["tokens"])
router.add_decorator(audited_as_token)


def token_out(token: ApiToken) -> dict:
    """Return what the API shows of token: never the token itself, which only its creation answer holds."""
    return {
        "id": token.pk, "name": token.name, "prefix": token.prefix, "team": token.team_id, "scopes": token.scopes,
        "created_by": token.created_by.get_username() if token.created_by else None,
        "created_at": token.created_at, "expires_at": token.expires_at, "last_used_at": token.last_used_at,
        "revoked_at": token.revoked_at,
    }


@router.get("/", response={200: list[TokenOut], **problem_responses()}, auth=READ)
def list_tokens(request):
    """List the person's tokens and those of the teams they administer, newest first, revoked ones too."""
    tokens = tokens_manageable_by(person_of(request.auth)).select_related("created_by").order_by("-created_at")
    return [token_out(token) for token in tokens]


@router.post("/", response={201: TokenCreatedOut, **problem_responses(404)}, auth=WRITE)
def create_token(request, payload: TokenIn):
    """Create a token for the person, or for a team they administer; the answer holds it this once."""
    person = person_of(request.auth)
    team = get_team_for(request.auth, payload.team, admin=True) if payload.team else None
    days = payload.expires_in_days
    if "expires_in_days" not in payload.model_fields_set and request.auth.expires_at is not None:
        # Unasked, the default shrinks to the whole days the calling token has left.
        days = min(days, (request.auth.expires_at - timezone.now()).days)
    token, raw_token = token_create(
        creator=person, name=payload.name, scopes=payload.scopes, expires_in_days=days, team=team,
        within=request.auth,
    )
    return Status(201, {**token_out(token), "token": raw_token})


@router.post("/{uuid:token_id}/revoke", response={200: TokenOut, **problem_responses(404)}, auth=WRITE)
def revoke_token(request, token_id: UUID):
    """Revoke a token of the person's, or of a team they administer: refused from now on."""
    token = get_token_for(person_of(request.auth), token_id)
    token_revoke(token=token, actor=request.auth.acting_user)
    return token_out(token)
