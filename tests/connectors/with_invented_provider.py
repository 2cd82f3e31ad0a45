"""A pytest plugin: `pytest -p tests.connectors.with_invented_provider` runs the suites with Acme registered.

Registered on import, which pytest does while reading its arguments: before Django starts and before
any test module reads the registry.
"""
from tests.connectors.invented import register

register()
