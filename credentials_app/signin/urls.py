"""allauth's sign-in, second look and two-factor pages, under /accounts/. Password change and reset stay Django's."""
from allauth.account import views as account_views
from django.urls import include, path

from credentials_app.signin import views

urlpatterns = [
    path("login/", account_views.login, name="account_login"),
    path("logout/", account_views.logout, name="account_logout"),
    path("inactive/", account_views.account_inactive, name="account_inactive"),
    # Answers "sign-up is closed" (AccountAdapter.is_open_for_signup).
    path("signup/", account_views.signup, name="account_signup"),
    path("reauthenticate/", account_views.reauthenticate, name="account_reauthenticate"),
    path("again/", views.sign_in_again, name="signin_again"),
    path("2fa/", include("allauth.mfa.urls")),
    path("sessions/", include("allauth.usersessions.urls")),
    # Single sign-on: /accounts/oidc/sso/login/ and its callback, and the pages a sign-on may end on.
    path("", include("allauth.socialaccount.providers.openid_connect.urls")),
    path("3rdparty/", include("allauth.socialaccount.urls")),
]
