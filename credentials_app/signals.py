"""Signal receivers of the credentials app."""
