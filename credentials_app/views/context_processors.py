from credentials_app.provider_check import sandbox_active


def sandbox(request):
    """Expose whether checks go to the provider sandbox, for the banner."""
    return {"sandbox_active": sandbox_active()}
