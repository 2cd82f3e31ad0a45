"""While the sandbox is on, the overlay offers its test keys; otherwise there is no trace of them."""
import pytest
from django.urls import reverse

from connectors.registry import CONNECTORS
from connectors.sandbox import keys
from credentials_app.services.sandbox_keys import sandbox_keys_for


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


@pytest.mark.parametrize("connector", CONNECTORS, ids=lambda connector: connector.id)
def test_each_providers_sandbox_keys_speak_of_it_alone_and_verified_ones_name_their_settings(connector):
    """The list names no other provider, and a key verified with some choice sets every setting to it."""
    others = [other.name for other in CONNECTORS if other.name != connector.name]
    for offered in sandbox_keys_for(connector):
        assert not [name for name in others if name in offered["outcome"]], offered
        if offered["outcome"].startswith("Verified on") or offered["outcome"].startswith("Verified as"):
            assert set(offered["settings"]) == {setting.name for setting in connector.settings}, offered
