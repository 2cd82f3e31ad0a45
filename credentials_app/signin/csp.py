"""The Content-Security-Policy's room for single sign-on (no Django imports: the settings module uses it)."""
from urllib.parse import urlsplit


def csp_with_sign_on(csp: dict, provider_url: str) -> dict:
    """Return csp letting forms lead to the provider at provider_url.

    Browsers apply form-action to where a form's answer redirects, and "Sign in with ..." posts here,
    then redirects to the provider.
    """
    if not provider_url:
        return csp
    parts = urlsplit(provider_url)
    return {**csp, "form-action": [*csp["form-action"], f"{parts.scheme}://{parts.netloc}"]}
