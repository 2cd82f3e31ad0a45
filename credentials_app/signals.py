"""Signal receivers of the credentials app."""
from django.conf import settings
from django.db.models.signals import post_save
from django.dispatch import receiver

from credentials_app.models import Credential
from credentials_app.services.handover import user_hand_over_credentials, user_hand_over_teams
from credentials_app.services.tokens import tokens_revoke_for_user
from credentials_app.signin.sessions import sessions_end_for_user


@receiver(post_save, sender=settings.AUTH_USER_MODEL, dispatch_uid="credentials_hand_over_on_deactivate")
def hand_over_when_deactivated(sender, instance, created, raw=False, **kwargs):
    """Hand a deactivated user's credentials and sole-admin roles over to people who can sign in.

    Runs on every save of an inactive user, so credentials kept earlier (nobody could take them)
    pass on once a team admin or superuser exists. QuerySet.update() sends no signal: deactivate
    users one by one (the admin does). Deleting a user goes through services.handover.user_delete,
    because the owner foreign key is PROTECT and Django checks it before any pre_delete receiver.
    """
    if raw or created or instance.is_active:
        return
    # Their team tokens belong to the teams and live on; their personal ones die with the account,
    # and so do their signed-in sessions.
    tokens_revoke_for_user(user=instance)
    sessions_end_for_user(user=instance)
    if Credential.objects.filter(owner=instance).exists():
        user_hand_over_credentials(user=instance, reason="user deactivated")
    # Their data sources keep working with them; only the teams they alone ran need a new admin.
    user_hand_over_teams(user=instance)
