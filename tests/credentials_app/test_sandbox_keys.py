"""While the sandbox is on, the overlay offers its test keys; otherwise there is no trace of them."""
from django.urls import reverse

from connectors.sandbox import keys


def test_the_overlay_offers_sandbox_keys_only_while_the_sandbox_is_on(client, sign_in, settings, sandbox):
    sign_in()
    page = client.get(reverse("authenticate", args=["source", "custify"])).content.decode()
    assert "Sandbox keys" in page
    assert keys.VALID not in page  # fetched only when the list is opened

    answer = client.get(reverse("sandbox_keys", args=["custify"])).json()
    offered = [row["key"] for row in answer["keys"]]
    assert keys.VALID in offered and keys.CUSTIFY_FORBIDDEN in offered
    assert keys.TIXY_PRIVATE not in offered  # another provider's key

    settings.PROVIDER_SANDBOX_URL = ""
    assert "Sandbox keys" not in client.get(reverse("authenticate", args=["source", "custify"])).content.decode()
    assert client.get(reverse("sandbox_keys", args=["custify"])).status_code == 404


def test_sandbox_keys_need_a_signed_in_user(client, user_factory, sandbox):
    user_factory()  # an installed app: no first-run setup page in the way
    response = client.get(reverse("sandbox_keys", args=["humanitix"]))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
