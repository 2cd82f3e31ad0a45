"""Fixtures of the credentials app's view tests."""
import pytest


@pytest.fixture
def owner(client, user_factory):
    """Return a new user, signed in on client."""
    user = user_factory()
    client.force_login(user)
    return user


@pytest.fixture
def migrate_to(transactional_db):
    """Return a function that migrates the test database to a migration (app label, name); every app's
    latest is restored afterwards, however the test ends, so the tests after it meet the schema they expect."""
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    def migrate(target: tuple[str, str]) -> None:
        MigrationExecutor(connection).migrate([target])

    yield migrate
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())
