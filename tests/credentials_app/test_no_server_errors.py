"""Malformed requests answer 4xx, never a server error."""
import pytest

pytestmark = pytest.mark.django_db

MULTIPART = (
    b'--xx\r\nContent-Disposition: form-data; name="username"\r\n\r\nab\xff\xfe\r\n'
    b'--xx\r\nContent-Disposition: form-data; name="password"\r\n\r\nb\r\n--xx--\r\n'
)
CHARSETS = ["rot13", "zlib", "base64", "idna", "utf-16", "latin-1", "cp037", "no-such-charset"]


@pytest.fixture
def anonymous(client, user_factory, settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # Many sign-ins: hash cheaply.
    user_factory()  # Past the first-run setup page.
    client.raise_request_exception = False
    return client


@pytest.mark.parametrize("url", ["/accounts/login/", "/admin/login/"])
@pytest.mark.parametrize("charset", CHARSETS)
def test_a_multipart_form_in_another_charset_is_a_bad_request(anonymous, url, charset):
    """Anonymous multipart posts declaring a charset other than UTF-8 answer 400 (rot13, zlib... were a 500)."""
    response = anonymous.generic(
        "POST", url, MULTIPART, content_type=f"multipart/form-data; boundary=xx; charset={charset}"
    )
    assert response.status_code == 400


@pytest.mark.parametrize("charset", CHARSETS)
def test_a_urlencoded_form_in_another_charset_is_a_bad_request(anonymous, charset):
    """The same for an urlencoded form."""
    response = anonymous.generic(
        "POST", "/accounts/login/", b"username=a&password=b",
        content_type=f"application/x-www-form-urlencoded; charset={charset}",
    )
    assert response.status_code == 400


@pytest.mark.parametrize("charset", ["utf-8", "UTF8", "utf_8"])
def test_utf8_forms_are_served_as_before(anonymous, charset):
    """A form that says it is UTF-8, however spelt, reaches the login page."""
    response = anonymous.generic(
        "POST", "/accounts/login/", MULTIPART.replace(b"\xff\xfe", b""),
        content_type=f"multipart/form-data; boundary=xx; charset={charset}",
    )
    assert response.status_code == 200
    assert "Please enter a correct username and password" in response.content.decode()


@pytest.fixture
def browser_like(user_factory, settings):
    """Return a client that enforces CSRF as a browser meets it, with the CSRF cookie already set."""
    from django.test import Client

    user_factory()  # Past the first-run setup page.
    browser = Client(enforce_csrf_checks=True, raise_request_exception=False)
    browser.get("/accounts/login/")
    return browser


def _post_form(browser, url, fields, charset):
    body = "&".join(f"{name}={value}" for name, value in fields.items())
    body += f"&csrfmiddlewaretoken={browser.cookies['csrftoken'].value}"
    return browser.generic(
        "POST", url, body.encode(), content_type=f"application/x-www-form-urlencoded; charset={charset}"
    )


@pytest.mark.parametrize("charset", ["latin-1", "utf-16", "rot13", "no-such-charset"])
def test_a_form_in_another_charset_with_a_csrf_cookie_is_a_bad_request(browser_like, user_factory, charset):
    """A browser-like form post (CSRF cookie set) in another charset answers 400, signed in or not (was a 500 on Django 5.2)."""
    assert _post_form(browser_like, "/accounts/login/", {"username": "a", "password": "b"}, charset).status_code == 400
    browser_like.force_login(user_factory())
    browser_like.get("/teams/")
    assert _post_form(browser_like, "/teams/", {"name": "Data"}, charset).status_code == 400


@pytest.mark.parametrize("charset", ["utf8", "UTF8", "utf_8", "UTF-8"])
def test_a_utf8_form_however_spelt_is_served_with_a_csrf_cookie(browser_like, user_factory, charset):
    """A browser-like form post naming UTF-8 in any spelling is served: the sign-in is refused, the team created."""
    response = _post_form(browser_like, "/accounts/login/", {"username": "a", "password": "b"}, charset)
    assert response.status_code == 200
    assert "Please enter a correct username and password" in response.content.decode()
    browser_like.force_login(user_factory())
    browser_like.get("/teams/")
    response = _post_form(browser_like, "/teams/", {"name": "Data"}, charset)
    assert response.status_code == 302
