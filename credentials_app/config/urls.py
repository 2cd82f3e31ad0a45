from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path, re_path

from credentials_app.api import api
from credentials_app.invitations import views as invitation_views
from credentials_app.machine import views as machine
from credentials_app.signin.views import admin_login
from credentials_app.views import connect, connections, credentials, sandbox_keys, setup, sharing, teams, tokens
from credentials_app.views.email_gate import email_required

# Password reset sends a link by email: without email configured its pages do not exist.
password_reset_patterns = [
    path("password_reset/", email_required(auth_views.PasswordResetView.as_view()), name="password_reset"),
    path(
        "password_reset/done/",
        email_required(auth_views.PasswordResetDoneView.as_view()),
        name="password_reset_done",
    ),
    path(
        "reset/<uidb64>/<token>/",
        email_required(auth_views.PasswordResetConfirmView.as_view()),
        name="password_reset_confirm",
    ),
    path(
        "reset/done/",
        email_required(auth_views.PasswordResetCompleteView.as_view()),
        name="password_reset_complete",
    ),
]

# The admin signs in through the same door, second factor included (set before admin.site.urls is read).
admin.site.login = admin_login

urlpatterns = [
    # --- Machine use: the provider proxy and Vault-style reads, with API tokens ---
    # First, as they are the most frequent requests by far: URLs are matched in order.
    path("proxy/<uuid:pk>/<path:path>", machine.proxy, name="proxy"),
    path("v1/auth/token/lookup-self", machine.vault_lookup_self, name="vault_lookup_self"),
    path("v1/<str:mount>/data/<path:path>", machine.vault_read, name="vault_read"),
    # Anything else under them is answered in that door's format, not with a page.
    re_path(r"^proxy/", machine.unknown),
    re_path(r"^v1/", machine.unknown),
    path("", connect.home, name="home"),
    path("setup/", setup.setup, name="setup"),
    path("accounts/", include(password_reset_patterns)),
    # Sign-in, sign-out, the second look and two factors (django-allauth); before Django's own
    # auth URLs, which keep their names ("login", "logout") and serve password change.
    path("accounts/", include("credentials_app.signin.urls")),
    path("accounts/", include("django.contrib.auth.urls")),
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
    # --- The connect flow ---
    path("connect/<str:kind>/", connect.catalog, name="catalog"),
    path("connect/<str:kind>/<str:provider>/", connect.authenticate, name="authenticate"),
    path("connect/<str:kind>/<str:provider>/credentials/", connect.credential_add, name="credential_add"),
    path(
        "connect/<str:kind>/<str:provider>/credentials/cancel/",
        connect.credential_add_cancel,
        name="credential_add_cancel",
    ),
    path("connections/<uuid:pk>/", connections.connection_detail, name="connection_detail"),
    path("connections/<uuid:pk>/name/", connections.connection_rename_view, name="connection_rename"),
    path("connections/<uuid:pk>/credential/", connections.connection_credential_view, name="connection_credential"),
    path("connections/<uuid:pk>/check/", connections.connection_check_view, name="connection_check"),
    path("connections/<uuid:pk>/delete/", connections.connection_delete_view, name="connection_delete"),
    path("sandbox-keys/<str:provider>/", sandbox_keys.sandbox_keys, name="sandbox_keys"),
    # --- Credentials management ---
    path("credentials/", credentials.credential_list_view, name="credential_list"),
    path("credentials/new/<str:provider>/", connect.credential_new, name="credential_new"),
    path("credentials/<uuid:pk>/", credentials.credential_detail, name="credential_detail"),
    path("credentials/<uuid:pk>/check/", credentials.credential_check_now, name="credential_check_now"),
    path("credentials/<uuid:pk>/edit/", credentials.credential_edit_view, name="credential_edit"),
    # The single-field forms these replaced post here still: each is an edit of one thing.
    path("credentials/<uuid:pk>/key/", credentials.credential_replace_key_view, name="credential_replace_key"),
    path("credentials/<uuid:pk>/name/", credentials.credential_edit_view, name="credential_rename"),
    path("credentials/<uuid:pk>/description/", credentials.credential_edit_view, name="credential_edit_description"),
    path("credentials/<uuid:pk>/disable/", credentials.credential_disable_view, name="credential_disable"),
    path("credentials/<uuid:pk>/enable/", credentials.credential_enable_view, name="credential_enable"),
    path("credentials/<uuid:pk>/delete/", credentials.credential_delete_view, name="credential_delete"),
    path(
        "credentials/<uuid:pk>/machine-reads/",
        credentials.credential_machine_reads_view,
        name="credential_machine_reads",
    ),
    # --- Teams and sharing ---
    path("teams/", teams.team_list, name="team_list"),
    path("teams/<uuid:pk>/", teams.team_detail, name="team_detail"),
    path("teams/<uuid:pk>/members/", teams.team_member_add, name="team_member_add"),
    path("teams/<uuid:pk>/members/<int:membership_pk>/role/", teams.team_member_role, name="team_member_role"),
    path("teams/<uuid:pk>/members/<int:membership_pk>/remove/", teams.team_member_remove, name="team_member_remove"),
    path("teams/<uuid:pk>/leave/", teams.team_leave, name="team_leave"),
    path("teams/<uuid:pk>/two-factor/", teams.team_two_factor, name="team_two_factor"),
    path(
        "teams/<uuid:pk>/invitations/<uuid:invitation_pk>/withdraw/",
        teams.team_invitation_withdraw,
        name="team_invitation_withdraw",
    ),
    path("invitations/<str:token>/", invitation_views.invitation_accept_view, name="invitation_accept"),
    path("credentials/<uuid:pk>/sharing/", sharing.credential_sharing, name="credential_sharing"),
    path(
        "credentials/<uuid:pk>/sharing/<uuid:team_pk>/level/",
        sharing.credential_share_level,
        name="credential_share_level",
    ),
    path(
        "credentials/<uuid:pk>/sharing/<uuid:team_pk>/unshare/",
        sharing.credential_unshare_view,
        name="credential_unshare",
    ),
    # --- API tokens ---
    path("tokens/", tokens.token_list, name="token_list"),
    path("tokens/<uuid:pk>/revoke/", tokens.token_revoke_view, name="token_revoke"),
    # --- Notifications: a person's channels, a team's, and their delivery logs ---
    path("", include("credentials_app.notifications.urls")),
]

handler403 = "credentials_app.views.errors.permission_denied"
