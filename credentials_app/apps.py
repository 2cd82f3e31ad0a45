from django.apps import AppConfig


class CredentialsAppConfig(AppConfig):
    name = "credentials_app"
    verbose_name = "Credentials"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from credentials_app import signals, system_checks  # noqa: F401  (registers checks and receivers)
        from credentials_app.notifications import receivers  # noqa: F401  (queues notifications on the watch's signals)
        from credentials_app.signin import receivers  # noqa: F401
