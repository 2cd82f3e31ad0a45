"""The notification pages' URLs."""
from django.urls import path

from credentials_app.notifications import views

urlpatterns = [
    path("notifications/", views.notification_settings, name="notifications"),
    path("teams/<uuid:pk>/notifications/", views.team_notification_settings, name="team_notifications"),
    path("notifications/channels/<uuid:pk>/enabled/", views.channel_enabled, name="notification_channel_enabled"),
    path("notifications/channels/<uuid:pk>/remove/", views.channel_remove, name="notification_channel_remove"),
    path("notifications/channels/<uuid:pk>/test/", views.channel_test, name="notification_channel_test"),
]
