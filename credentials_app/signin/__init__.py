"""Signing in: django-allauth's accounts and two factors, with this app's rules (issue 21)."""
