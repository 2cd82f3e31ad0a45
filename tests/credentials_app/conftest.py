"""Fixtures of the credentials app's view tests."""
import pytest


@pytest.fixture
def owner(client, user_factory):
    """Return a new user, signed in on client."""
    user = user_factory()
    client.force_login(user)
    return user
