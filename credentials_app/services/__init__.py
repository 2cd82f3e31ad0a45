"""The business rules, one module per entity. Pages, the admin, commands and the API call these."""
