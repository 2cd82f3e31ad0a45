"""Who may see and change which notification channel: a person their own, a team's admins the team's."""
from django.http import Http404

from credentials_app.access import get_team_for
from credentials_app.models import NotificationChannel


def get_channel_for(user, pk) -> NotificationChannel:
    """Return channel pk if user may change it: 404 if not theirs or not their team's, 403 for a team's non-admin."""
    try:
        channel = NotificationChannel.objects.select_related("user", "team").get(pk=pk)
    except (NotificationChannel.DoesNotExist, ValueError, TypeError):
        raise Http404("No such channel.") from None
    if channel.team_id is not None:
        get_team_for(user, channel.team_id, admin=True)
    elif channel.user_id != user.pk:
        raise Http404("No such channel.")
    return channel
