from django.contrib import admin
from django.urls import include, path

from credentials_app.views import connect, setup

urlpatterns = [
    path("", connect.home, name="home"),
    path("setup/", setup.setup, name="setup"),
    path("accounts/", include("django.contrib.auth.urls")),
    path("admin/", admin.site.urls),
    # --- The connect flow (issues 2 and 3) ---
    path("connect/<str:kind>/", connect.catalog, name="catalog"),
    path("connect/<str:kind>/<str:provider>/", connect.authenticate, name="authenticate"),
    path("connect/<str:kind>/<str:provider>/credentials/", connect.credential_add, name="credential_add"),
    path("connections/<uuid:pk>/", connect.connection_detail, name="connection_detail"),
    # --- Credentials management (issue 5) ---
    # --- Teams and sharing (issue 4) ---
]
