"""Machine endpoints: the provider proxy, and a read-only HashiCorp Vault KV v2 look-alike for Airflow.

Both authenticate with an API token (the proxy: Authorization: Bearer; Vault clients: X-Vault-Token),
never with a session, so neither needs CSRF protection.
"""
from functools import wraps

from django.conf import settings
from django.http import JsonResponse, StreamingHttpResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.debug import sensitive_variables

from connectors.transport.proxy import PROVIDER_ANSWER_HEADER
from credentials_app.machine.proxy_call import Refused, proxy_call
from credentials_app.machine.service import MachineRefusal, airflow_connection_read
from credentials_app.problems import PROBLEMS, door_response, problem_response, vault_response
from credentials_app.services.tokens import token_authenticate


def _problem(slug: str, detail: str, *, retry_after: int | None = None):
    headers = {"Retry-After": str(retry_after)} if retry_after is not None else {}
    if PROBLEMS[slug].status == 401:
        headers["WWW-Authenticate"] = 'Bearer realm="proxy"'
    return problem_response(slug, detail, headers=headers)


def _bearer(request) -> str:
    scheme, _, value = request.headers.get("Authorization", "").partition(" ")
    return value.strip() if scheme.lower() == "bearer" else ""


# --- The proxy ------------------------------------------------------------------------------------


@csrf_exempt
def proxy(request, pk, path):
    """Forward the request to the credential's provider with its key; stream the provider's answer back."""
    outcome = proxy_call(
        raw_token=_bearer(request),
        credential_id=pk,
        method=request.method,
        path=path,
        query=request.META.get("QUERY_STRING", ""),
        headers=request.headers,
        # The request itself is the body stream: it is never read whole here.
        body=request if _has_body(request) else None,
    )
    if isinstance(outcome, Refused):
        return _problem(outcome.slug, outcome.detail, retry_after=outcome.retry_after)
    response = StreamingHttpResponse(outcome, status=outcome.status)
    del response["Content-Type"]
    for name, value in outcome.headers:
        response[name] = value
    response[PROVIDER_ANSWER_HEADER] = "true"
    return response


def _has_body(request) -> bool:
    """Return whether the caller sent a body: a non-zero Content-Length, or a chunked one.

    A bodiless GET must reach the provider bodiless: the engine sends a body of unknown length
    chunked, which a server not expecting one reads as the start of the next request.
    """
    length = request.META.get("CONTENT_LENGTH", "")
    chunked = "chunked" in request.META.get("HTTP_TRANSFER_ENCODING", "").lower()
    return chunked or (length not in ("", "0"))


# --- Vault KV v2, read only -------------------------------------------------------------------------


def _vault_reads_only(view):
    """Return view answering any method but GET as Vault answers an unsupported operation: 405, in JSON."""

    @wraps(view)
    def answer(request, *args, **kwargs):
        if request.method != "GET":
            return vault_response("method-not-allowed", "unsupported operation", headers={"Allow": "GET"})
        return view(request, *args, **kwargs)

    return answer


@csrf_exempt
def unknown(request, *args, **kwargs):
    """Answer a path under /proxy/ or /v1/ that no endpoint takes: not-found, in that door's format."""
    return door_response(request, "not-found", "No endpoint answers this path.")


def _vault_token(request):
    return token_authenticate(request.headers.get("X-Vault-Token", ""))


@_vault_reads_only
def vault_lookup_self(request):
    """Answer Vault's token self-lookup: what hvac's is_authenticated() and Airflow's backend ask first."""
    token = _vault_token(request)
    if token is None:
        return vault_response("unauthenticated")
    expire_time = token.expires_at.isoformat() if token.expires_at else None
    return JsonResponse({
        "request_id": "", "lease_id": "", "renewable": False, "lease_duration": 0,
        "data": {
            "accessor": token.prefix, "display_name": f"token-{token.name}", "expire_time": expire_time,
            "policies": ["default"], "meta": {"scopes": " ".join(token.scopes)}, "renewable": False,
            "type": "service", "creation_time": int(token.created_at.timestamp()),
            # Vault's ttl is the seconds the token has left; 0 means it never expires.
            "ttl": max(0, int((token.expires_at - timezone.now()).total_seconds())) if token.expires_at else 0,
        },
        "wrap_info": None, "warnings": None, "auth": None,
    })


@_vault_reads_only
@sensitive_variables()
def vault_read(request, mount, path):
    """Answer a KV v2 read of <connections path>/<connection id> with the credential as an Airflow connection."""
    folder, _, name = path.rpartition("/")
    if mount != settings.MACHINE_VAULT_MOUNT or folder != settings.MACHINE_VAULT_CONNECTIONS_PATH:
        # What Vault answers for a path holding no secret; Airflow then asks its next backend.
        return vault_response("not-found")
    version = request.GET.get("version")
    if version not in (None, "", "0", "1"):
        return vault_response("not-found")
    try:
        document = airflow_connection_read(token=_vault_token(request), connection_name=name, via="vault")
    except MachineRefusal as refusal:
        return vault_response(refusal.slug, refusal.detail)
    return JsonResponse({
        "request_id": "", "lease_id": "", "renewable": False, "lease_duration": 0,
        "data": document,
        "wrap_info": None, "warnings": None, "auth": None, "mount_type": "kv",
    }, headers={"Cache-Control": "no-store"})
