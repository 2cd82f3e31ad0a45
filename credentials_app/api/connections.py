"""Data sources and destinations built on credentials. They belong to people, so team tokens have none."""
from uuid import UUID

from django.core.exceptions import PermissionDenied
from ninja import Router, Status

from credentials_app.access import get_connection_for, get_credential_for
from credentials_app.api.auth import READ, WRITE, audited_as_token
from credentials_app.api.problems import problem_responses
from credentials_app.api.schemas import ConnectionIn, ConnectionOut
from credentials_app.models import Connection
from credentials_app.services.connections import connection_create

router = Router(tags=["connections"])
router.add_decorator(audited_as_token)


def person_of(token):
    """Return the person a personal token acts for; a team token has no data sources of its own (403)."""
    if token.is_team_token:
        raise PermissionDenied("Team tokens cannot do this; use a personal token.")
    return token.user


def connection_out(connection: Connection) -> dict:
    return {
        "id": connection.pk, "kind": connection.kind, "provider": connection.provider, "name": connection.name,
        "credential": connection.credential_id, "credential_name": connection.credential.name,
        "created_at": connection.created_at,
    }


@router.get("/", response={200: list[ConnectionOut], **problem_responses()}, auth=READ)
def list_connections(request):
    """List the token's person's data sources and destinations, newest first."""
    connections = Connection.objects.filter(owner=person_of(request.auth)).select_related("credential")
    return [connection_out(connection) for connection in connections]


@router.post("/", response={201: ConnectionOut, **problem_responses(404)}, auth=WRITE)
def create_connection(request, payload: ConnectionIn):
    """Build a data source or destination on a credential the token's person may use."""
    owner = person_of(request.auth)
    credential = get_credential_for(request.auth, payload.credential)
    connection = connection_create(
        owner=owner, kind=payload.kind, provider=payload.provider, name=payload.name, credential=credential,
    )
    return Status(201, connection_out(connection))


@router.get("/{uuid:connection_id}", response={200: ConnectionOut, **problem_responses(404)}, auth=READ)
def get_connection(request, connection_id: UUID):
    owner = person_of(request.auth)
    return connection_out(get_connection_for(owner, connection_id))
