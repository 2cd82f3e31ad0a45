from credentials_app.checking import sandbox_active


def sandbox(request):
    """Expose whether checks go to the provider sandbox, for the banner."""
    return {"sandbox_active": sandbox_active()}
