"""The one-time page that creates the owner account on a fresh install."""
from django.contrib.auth import get_user_model, login
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.debug import sensitive_post_parameters, sensitive_variables

from credentials_app.services.accounts import AlreadySetUp, owner_create
from credentials_app.forms import OwnerSetupForm


@sensitive_post_parameters("password1", "password2")
@sensitive_variables()
def setup(request):
    """Create the first account as a superuser, then sign it in. Gone once any user exists."""
    if get_user_model().objects.exists():
        raise Http404("This install is already set up.")
    form = OwnerSetupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = form.save(commit=False)
        try:
            owner_create(user=user)
        except AlreadySetUp:
            raise Http404("This install is already set up.") from None
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        return redirect("home")
    return render(request, "credentials_app/setup.html", {"form": form})
