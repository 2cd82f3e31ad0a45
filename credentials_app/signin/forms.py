"""allauth's sign-in form, posting the same "username" and "password" fields as before."""
from allauth.account.forms import LoginForm as AllauthLoginForm
from django import forms
from django.conf import settings


class LoginForm(AllauthLoginForm):
    """Sign in by username and password; the form field keeps its name "username".

    Password managers, scripts and the admin's own login template post "username", as Django's
    sign-in form did; allauth calls the same field "login".
    """

    def add_prefix(self, field_name):
        return super().add_prefix("username" if field_name == "login" else field_name)

    def clean(self):
        """With LOCAL_SIGN_IN=owner, only superusers sign in with a password (break glass)."""
        cleaned_data = super().clean()
        user = getattr(self, "user", None)
        if settings.LOCAL_SIGN_IN == "owner" and user is not None and not user.is_superuser:
            raise forms.ValidationError("Sign in with single sign-on: passwords are for the owner only here.")
        return cleaned_data
