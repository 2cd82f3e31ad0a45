"""Check API keys against each provider's API. Knows HTTP, nothing of Django models or encryption."""
