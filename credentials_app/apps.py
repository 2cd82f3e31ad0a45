from django.apps import AppConfig


class CredentialsAppConfig(AppConfig):
    name = "credentials_app"
    verbose_name = "Credentials"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        # Imported for what they register: system checks and signal receivers.
        from credentials_app import signals, system_checks  # noqa: F401
        from credentials_app.notifications import receivers as notification_receivers  # noqa: F401
        from credentials_app.signin import receivers as sign_in_receivers  # noqa: F401
