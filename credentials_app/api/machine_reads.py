"""Machine reads of a credential's key (the Vault door): whether they are allowed, and the connection id."""
from uuid import UUID

from ninja import Router

from credentials_app.access import get_credential_for
from credentials_app.api.auth import READ, WRITE, audited_as_token
from credentials_app.api.problems import problem_responses
from credentials_app.api.schemas import MachineReadsIn, MachineReadsOut
from credentials_app.models import Credential
from credentials_app.machine.service import credential_set_machine_reads

router = Router(tags=["credentials"])
router.add_decorator(audited_as_token)


def _out(credential: Credential) -> dict:
    return {"allowed": credential.machine_reads_allowed, "connection_id": credential.connection_name}


@router.get("/{uuid:credential_id}/machine-reads", response={200: MachineReadsOut, **problem_responses(404)},
            auth=READ)
def get_machine_reads(request, credential_id: UUID):
    """Whether machines may read the key, and the connection id they read it by."""
    return _out(get_credential_for(request.auth, credential_id))


@router.put("/{uuid:credential_id}/machine-reads", response={200: MachineReadsOut, **problem_responses(404)},
            auth=WRITE)
def set_machine_reads(request, credential_id: UUID, payload: MachineReadsIn):
    """Allow or stop machine reads of the key (managers), under a connection id; audited when anything changes."""
    credential = get_credential_for(request.auth, credential_id, manage=True)
    credential_set_machine_reads(credential=credential, actor=request.auth.acting_user, allowed=payload.allowed,
                                 connection_name=payload.connection_id or "")
    return _out(credential)
