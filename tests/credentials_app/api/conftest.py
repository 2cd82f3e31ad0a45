"""Fixtures for the API: tokens with chosen scopes and a client that sends them."""
import pytest

from credentials_app.models import ApiToken
from credentials_app.services.tokens import token_create

ALL_SCOPES = list(ApiToken.Scope.values)


class ApiClient:
    """Django's test client speaking JSON to /api/v1/ with a bearer token."""

    def __init__(self, client, raw_token: str):
        self.client = client
        self.raw_token = raw_token
        self.responses = []

    def request(self, method: str, path: str, json=None, headers=None, **params):
        headers = {"Authorization": f"Bearer {self.raw_token}", **(headers or {})}
        call = getattr(self.client, method)
        url = f"/api/v1{path}"
        if method in ("get", "delete") and json is None:
            response = call(url, params or None, headers=headers)
        else:
            response = call(url, json if json is not None else {}, content_type="application/json", headers=headers)
        self.responses.append(response)
        return response

    def get(self, path, **params):
        return self.request("get", path, **params)

    def post(self, path, json=None, **kwargs):
        return self.request("post", path, json=json, **kwargs)

    def patch(self, path, json=None, **kwargs):
        return self.request("patch", path, json=json, **kwargs)

    def put(self, path, json=None, **kwargs):
        return self.request("put", path, json=json, **kwargs)

    def delete(self, path, **kwargs):
        return self.request("delete", path, **kwargs)


@pytest.fixture
def api_client_for(client):
    """Return a function making an ApiClient for a new token of user (or of team) with scopes."""

    def make(user, scopes=ALL_SCOPES, team=None, name="Test token"):
        token, raw = token_create(creator=user, name=name, scopes=scopes, team=team)
        return ApiClient(client, raw)

    return make
