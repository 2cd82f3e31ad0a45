from django.contrib import admin
from django.urls import include, path

from credentials_app.views import connect, credentials, setup

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
    path("credentials/", credentials.credential_list_view, name="credential_list"),
    path("credentials/<uuid:pk>/", credentials.credential_detail, name="credential_detail"),
    path("credentials/<uuid:pk>/check/", credentials.credential_check_now, name="credential_check_now"),
    path("credentials/<uuid:pk>/key/", credentials.credential_replace_key_view, name="credential_replace_key"),
    path("credentials/<uuid:pk>/name/", credentials.credential_rename_view, name="credential_rename"),
    path(
        "credentials/<uuid:pk>/description/",
        credentials.credential_edit_description_view,
        name="credential_edit_description",
    ),
    path("credentials/<uuid:pk>/disable/", credentials.credential_disable_view, name="credential_disable"),
    path("credentials/<uuid:pk>/enable/", credentials.credential_enable_view, name="credential_enable"),
    path("credentials/<uuid:pk>/delete/", credentials.credential_delete_view, name="credential_delete"),
    # --- Teams and sharing (issue 4) ---
]
