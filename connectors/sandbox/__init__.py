"""Local HTTPS emulations of every provider, answering as their APIs document, failures included.

Used by `make sandbox`, `make demo` and the tests. Written from ../shared/providers.md and
independent of the connector declarations: it imports nothing from them.
"""
