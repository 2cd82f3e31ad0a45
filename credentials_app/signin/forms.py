"""allauth's sign-in form, posting the same "username" and "password" fields as before."""
from allauth.account.forms import LoginForm as AllauthLoginForm


class LoginForm(AllauthLoginForm):
    """Sign in by username and password; the form field keeps its name "username".

    Password managers, scripts and the admin's own login template post "username", as Django's
    sign-in form did; allauth calls the same field "login".
    """

    def add_prefix(self, field_name):
        return super().add_prefix("username" if field_name == "login" else field_name)
