"""One module per provider, each a Connector declared as data."""
