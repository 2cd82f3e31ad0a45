"""Sending to providers: the key check request and the proxy engine."""
