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
