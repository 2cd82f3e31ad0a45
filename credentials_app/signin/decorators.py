"""A second look before sensitive acts: the password or a second factor again, if the last proof is old."""
from allauth.account.decorators import reauthentication_required
from django import forms

APP = "credentials_app.signin"


def second_look_required(function=None, *, when=None):
    """Ask for the password or a second factor before a POST, unless the last proof is recent.

    GET requests pass (they show the form). when(request), if given, limits the second look to the
    requests it returns true for. After the proof the suspended POST is carried out, so nothing
    typed is lost. The freshness rule is AccountAdapter.is_reauthentication_required.
    """
    decorator = reauthentication_required(allow_get=True, enabled=when, app=APP)
    return decorator(function) if function else decorator


def posted(field: str, value: str):
    """Return a `when` for second_look_required: the POST sets field to value."""
    return lambda request: request.POST.get(field) == value


def posted_true(field: str):
    """Return a `when` for second_look_required: the POST turns the checkbox field on."""
    return lambda request: forms.BooleanField(required=False).to_python(request.POST.get(field))
