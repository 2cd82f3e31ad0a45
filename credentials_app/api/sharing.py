"""Sharing a credential with teams: who has it, share, change the level, unshare (managers, personal tokens)."""
from uuid import UUID

from django.core.exceptions import ValidationError
from ninja import Router, Status

from credentials_app.access import get_credential_for, get_share_for
from credentials_app.api.auth import READ, WRITE, audited_as_token
from credentials_app.api.connections import person_of
from credentials_app.api.problems import problem_responses
from credentials_app.api.schemas import LevelIn, ShareIn, ShareOut
from credentials_app.models import CredentialShare, Team
from credentials_app.services.sharing import credential_share, credential_share_change_level, credential_unshare

router = Router(tags=["sharing"])
router.add_decorator(audited_as_token)


def _share_out(share: CredentialShare) -> dict:
    return {"team_id": share.team_id, "team": share.team.name, "level": share.level}


def _share_of(token, credential_id: UUID, team_id: UUID) -> CredentialShare:
    person_of(token)
    return get_share_for(token, credential_id, team_id)[1]


@router.get("/{uuid:credential_id}/shares", response={200: list[ShareOut], **problem_responses(404)}, auth=READ)
def list_shares(request, credential_id: UUID):
    """List the teams the credential is shared with (its managers only)."""
    credential = get_credential_for(request.auth, credential_id, manage=True)
    return [_share_out(share) for share in credential.shares.select_related("team").order_by("team__name")]


@router.post("/{uuid:credential_id}/shares", response={201: ShareOut, **problem_responses(404)}, auth=WRITE)
def share(request, credential_id: UUID, payload: ShareIn):
    """Share the credential with one of the person's teams, or change the level it has there."""
    person = person_of(request.auth)
    credential = get_credential_for(request.auth, credential_id, manage=True)
    team = Team.objects.filter(pk=payload.team).first()
    if team is None:
        raise ValidationError({"teams": "You can only share with your own teams."})
    [created] = credential_share(credential=credential, teams=[team], level=payload.level, actor=person)
    return Status(201, _share_out(created))


@router.patch(
    "/{uuid:credential_id}/shares/{uuid:team_id}", response={200: ShareOut, **problem_responses(404)}, auth=WRITE
)
def change_share_level(request, credential_id: UUID, team_id: UUID, payload: LevelIn):
    share = _share_of(request.auth, credential_id, team_id)
    return _share_out(credential_share_change_level(share=share, level=payload.level, actor=request.auth.user))


@router.delete(
    "/{uuid:credential_id}/shares/{uuid:team_id}", response={204: None, **problem_responses(404)}, auth=WRITE
)
def unshare(request, credential_id: UUID, team_id: UUID):
    """Stop sharing with the team at once; data sources already built keep working."""
    credential_unshare(share=_share_of(request.auth, credential_id, team_id), actor=request.auth.user)
    return Status(204, None)
