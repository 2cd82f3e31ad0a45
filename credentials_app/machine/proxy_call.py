"""A proxied call from start to end: who may make it, forwarding it with the key, relaying, counting.

The view passes the request's parts in and gets back a Refused problem or a Relay to stream; the
plaintext key is read, sent and dropped here, and never reaches the view.
"""
import logging
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import BinaryIO

from django.views.decorators.debug import sensitive_variables

from connectors.transport.proxy import ProxyError, ProxyResponse, UpstreamBroken, proxy_request
from credentials_app.machine.service import MachineRefusal, proxy_failed, proxy_grant
from credentials_app.machine.usage import usage_record
from credentials_app.models import ApiToken, Credential
from credentials_app.provider_check import http_config
from credentials_app.services.tokens import token_authenticate
from credentials_app.watch import noticed

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Refused:
    """The proxy's own refusal, before or instead of the provider's answer: a problem of the vocabulary."""

    slug: str
    detail: str
    retry_after: int | None = None


@sensitive_variables()
def proxy_call(
    *, raw_token: str, credential_id, method: str, path: str, query: str, headers: Mapping[str, str],
    body: BinaryIO | None,
) -> "Refused | Relay":
    """Return the provider's answer to the caller's request, sent with the credential's key, or a refusal.

    Every refusal of a request naming a credential is counted (and audited per window); a forwarded
    call is counted when its answer has been relayed, however it ends.
    """
    token = token_authenticate(raw_token)
    try:
        credential, key = proxy_grant(token=token, credential_id=credential_id)
    except MachineRefusal as refusal:
        return Refused(refusal.slug, refusal.detail, refusal.retry_after)
    try:
        answer = proxy_request(
            credential.connector, options=credential.options, key=key, method=method, path=path, query=query,
            headers=headers, body=body, config=http_config(),
        )
    except ProxyError as error:
        proxy_failed(token=token, credential=credential, status=error.status, cause=error.slug, reason=error.detail)
        return Refused(error.slug, error.detail)
    return Relay(answer, token, credential)


class Relay:
    """The provider's answer, to stream to the caller; the call is counted once it ends, however it ends.

    status and headers are the provider's (those that may pass). Counted after the last byte is out,
    or when closed unread (the caller gone before the first byte). An answer that breaks off mid-way
    is logged and ended (its status is already sent). The start of an answer that may be the
    provider's "invalid key" goes to the watch.
    """

    def __init__(self, answer: ProxyResponse, token: ApiToken, credential: Credential):
        self.answer, self.token, self.credential = answer, token, credential
        self.status, self.headers = answer.status, answer.headers
        self.closed = False
        self.head = bytearray() if noticed.wants_head(credential, answer.status) else None

    def __iter__(self) -> Iterator[bytes]:
        try:
            for chunk in self.answer.body:
                if self.head is not None and len(self.head) < noticed.HEAD_BYTES:
                    self.head += chunk[: noticed.HEAD_BYTES - len(self.head)]
                yield chunk
        except UpstreamBroken:
            logger.warning("Proxied answer from %s for credential %s broke off",
                           self.credential.connector.name, self.credential.pk)
        finally:
            self.close()

    def close(self) -> None:
        if self.closed:
            return
        self.closed = True
        self.answer.close()
        usage_record(token=self.token, credential=self.credential, status=self.answer.status)
        if self.head is not None:
            encoding = next((value for name, value in self.answer.headers if name.lower() == "content-encoding"), "")
            noticed.proxy_answer_seen(credential=self.credential, status=self.answer.status, head=bytes(self.head),
                                      content_encoding=encoding)
