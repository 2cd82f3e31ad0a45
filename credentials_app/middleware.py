"""Middleware: the machine endpoints' short path, UTF-8 forms only, first-run setup redirect, and a CSP
header where Django has none."""
import codecs
import logging

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import BadRequest, PermissionDenied, SuspiciousOperation
from django.core.handlers.base import BaseHandler
from django.core.handlers.exception import convert_exception_to_response
from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render
from django.utils.cache import add_never_cache_headers

from credentials_app.crypto import KeyFileMissing, KeyringError
from credentials_app.key_file import missing_key_file_message
from credentials_app.problems import KEYRING_UNAVAILABLE_DETAIL, MACHINE_PREFIXES, door_response

logger = logging.getLogger(__name__)


class MachineEndpointsMiddleware:
    """Serve the machine endpoints (the proxy, Vault-style reads) past the middleware only browsers need.

    They authenticate with an API token on every request, never a session or a form: sessions,
    CSRF, messages, sign-in lockout, static files, form charsets and the first-run redirect have
    nothing to do there, yet cost about a tenth of a proxied call's server time. Their answers still
    pass the middleware above this one (security headers, X-Frame-Options, the CSP), the Host is
    still checked against ALLOWED_HOSTS, every answer is marked Cache-Control: no-store, and a
    keyring error still gets its own answer.
    """

    # Every route under these is in machine/views.py (tests/credentials_app/test_machine_path.py checks).
    path_prefixes = ("/proxy/", "/v1/")

    def __init__(self, get_response):
        self.get_response = get_response
        self.machine_handler = _MachineHandler()

    def __call__(self, request):
        if request.path_info.startswith(self.path_prefixes):
            # ALLOWED_HOSTS, which CommonMiddleware below would have checked: a bad Host is a 400.
            request.get_host()
            return self.machine_handler(request)
        return self.get_response(request)


class _MachineHandler(BaseHandler):
    """Django's own view handling (URL resolution, the view, error answers), with no middleware of its own."""

    def __init__(self):
        # What load_middleware() would set up for this short list; it reads only settings.MIDDLEWARE.
        self._view_middleware = []
        self._template_response_middleware = []
        self._exception_middleware = [KeyringErrorMiddleware(None).process_exception, _answer_in_the_doors_format]
        self.respond = _no_store_with_length(convert_exception_to_response(self._get_response))

    def __call__(self, request):
        return self.respond(request)


def _answer_in_the_doors_format(request, exception):
    """Answer what a machine view raised in the door's own format, never a page (a keyring error has its own)."""
    if isinstance(exception, Http404):
        return door_response(request, "not-found", "No endpoint answers this path.")
    if isinstance(exception, PermissionDenied):
        return door_response(request, "forbidden", "Not allowed.")
    if isinstance(exception, (BadRequest, SuspiciousOperation)):
        return None  # Django's 400, logged as a security event where it is one.
    logger.error("Machine request failed", exc_info=exception)
    return door_response(request, "server-error")


def _no_store_with_length(get_response):
    def no_store_with_length(request):
        response = get_response(request)
        add_never_cache_headers(response)
        # As CommonMiddleware does for the pages: a whole answer states its length instead of going chunked.
        if not response.streaming and not response.has_header("Content-Length"):
            response.headers["Content-Length"] = str(len(response.content))
        return response

    return no_store_with_length


class Utf8FormsMiddleware:
    """Answer 400 to a form body that declares a charset other than UTF-8, before anything parses it.

    Our pages send UTF-8 only; any other declared codec (latin-1, rot13, zlib...) is at best a client
    error and at worst a decoder that crashes the form parser.
    """

    form_types = ("application/x-www-form-urlencoded", "multipart/form-data")

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        charset = request.content_params.get("charset") if request.content_type in self.form_types else None
        if charset is not None:
            if _codec_name(charset) != "utf-8":
                # The 400 page (like any error page) passes the CSRF check, which reads the form: with
                # the body left unread, Django 5.2 parses it again, raises again and answers 500.
                request._mark_post_parse_error()
                raise BadRequest("Forms must be sent as UTF-8.")
            # "utf8", "UTF_8"...: Django 5.2 refuses any spelling but "utf-8" (with the 500 above).
            request.encoding = "utf-8"
        return self.get_response(request)


def _codec_name(charset: str) -> str | None:
    try:
        return codecs.lookup(charset).name
    except LookupError:
        return None


class NoStoreForSignedInMiddleware:
    """Mark every answer to a signed-in user or a token Cache-Control: no-store: they carry credential data.

    Token requests (the API, the proxy, Vault-style reads, which return a key) come without a session.
    """

    token_headers = ("Authorization", "X-Vault-Token")

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        # The headers first: asking for request.user reads the session, which a token request never needs.
        if any(name in request.headers for name in self.token_headers) or request.user.is_authenticated:
            add_never_cache_headers(response)
        return response


class FirstRunSetupMiddleware:
    """Send every request to /setup/ until the first account exists."""

    # The API answers with its own problems: with no account there is no token, so 401.
    exempt_prefixes = ("/setup/", "/static/", "/api/")

    def __init__(self, get_response):
        self.get_response = get_response
        self.has_users = False

    def __call__(self, request):
        if not self.has_users and not request.path.startswith(self.exempt_prefixes):
            # Once true it stays true: users are never all removed from a running install.
            self.has_users = get_user_model().objects.exists()
            if not self.has_users:
                return redirect("setup")
        return self.get_response(request)


class ContentSecurityPolicyMiddleware:
    """Set Content-Security-Policy from SECURE_CSP on Django versions before 6.0."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        policy = "; ".join(f"{name} {' '.join(values)}" for name, values in settings.SECURE_CSP.items())
        if policy:
            response.headers.setdefault("Content-Security-Policy", policy)
        return response


class KeyringErrorMiddleware:
    """Answer a missing or malformed encryption keyring: 503, naming the fix.

    Staff see the whole message (the key file's path, the number of stored secrets); everyone else
    only that an operator must act; the API, the proxy and the Vault door answer in their own format.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not isinstance(exception, KeyringError):
            return None
        if isinstance(exception, KeyFileMissing):
            exception = KeyringError(missing_key_file_message(exception.path))
        if request.path_info.startswith(MACHINE_PREFIXES):
            return door_response(request, "keyring-unavailable", KEYRING_UNAVAILABLE_DETAIL)
        user = getattr(request, "user", None)
        message = str(exception) if user is not None and user.is_staff else KEYRING_UNAVAILABLE_DETAIL
        if request.headers.get("Accept", "").startswith("application/json"):
            return JsonResponse({"ok": False, "outcome": "server_error", "message": message}, status=503)
        return render(request, "keyring_error.html", {"message": message}, status=503)
