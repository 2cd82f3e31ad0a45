"""allauth's hooks: no self sign-up, one freshness rule for every second look, and second factors' secrets sealed."""
from allauth.account.adapter import DefaultAccountAdapter
from allauth.core import context
from allauth.mfa.adapter import DefaultMFAAdapter
from django.urls import reverse
from django.views.decorators.debug import sensitive_variables

from credentials_app.signin.proof import proof_is_recent
from credentials_app.signin.sealed_factors import factor_open, factor_seal


class AccountAdapter(DefaultAccountAdapter):
    # The words Django's sign-in form used, which people (and scripts) already know.
    error_messages = {
        **DefaultAccountAdapter.error_messages,
        "username_password_mismatch": (
            "Please enter a correct username and password. Note that both fields may be case-sensitive."
        ),
    }

    def is_open_for_signup(self, request):
        """Refuse self sign-up: accounts are made by an administrator (or the first-run setup)."""
        return False

    def pre_authenticate(self, request, **credentials):
        """Leave counting failed passwords to django-axes, which answers with the lockout page (429).

        allauth's "login_failed" limit still counts wrong second-factor codes (ACCOUNT_RATE_LIMITS).
        """

    def get_reauthentication_methods(self, user):
        """Offer signing in again to someone with neither a password nor a second factor (single sign-on only)."""
        methods = super().get_reauthentication_methods(user)
        if methods or not user.is_authenticated:
            return methods
        return [{"id": "sign_in_again", "description": "Sign in again", "url": reverse("signin_again")}]

    def is_reauthentication_required(self, *, app: str, **kwargs) -> bool:
        """Ask again only when the last proof (signing in, or a second look) is not recent.

        allauth's own rule counts only a second look, never the sign-in itself; enrolling a second
        factor right after signing in would ask for the password twice.
        """
        return not proof_is_recent(context.request)


class MFAAdapter(DefaultMFAAdapter):
    """Seal the secrets allauth stores for second factors under the keyring, as credential keys are.

    A secret that does not open (its key missing from the keyring) raises FactorSecretUnavailable, a
    keyring error: the person is told an operator must act, and staff what to do.
    """

    @sensitive_variables()
    def encrypt(self, text: str) -> str:
        return factor_seal(text)

    @sensitive_variables()
    def decrypt(self, encrypted_text: str) -> str:
        return factor_open(encrypted_text)
