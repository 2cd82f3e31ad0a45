"""The Notifications page (a person's channels) and a team's, each with its delivery log and a test button."""
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from credentials_app.access import get_team_for
from credentials_app.notifications.access import get_channel_for
from credentials_app.notifications.forms import ChannelForm
from credentials_app.models import Notification, NotificationChannel
from credentials_app.notifications.outbox import channel_send_test
from credentials_app.notifications.recipients import default_email_channel
from credentials_app.notifications.services import channel_create, channel_delete, channel_set_enabled
from credentials_app.views.form_errors import act_and_tell, add_service_errors

# How many of the latest messages the delivery log shows.
LOG_LENGTH = 50


def _channels_page(request, *, user=None, team=None):
    """Render the channels of user or team, handling the add form; a new webhook's secret is shown this once."""
    form = ChannelForm(request.POST or None)
    created = None
    if request.method == "POST" and form.is_valid():
        try:
            created = channel_create(user=user, team=team, kind=form.cleaned_data["kind"], url=form.cleaned_data["url"])
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            form = ChannelForm()
    default_email_channel(user=user, team=team)
    channels = NotificationChannel.objects.filter(user=user, team=team).select_related("user")
    log = (Notification.objects.filter(channel__user=user, channel__team=team)
           .select_related("channel", "channel__user")[:LOG_LENGTH])
    return render(
        request,
        "credentials_app/notifications/channels.html",
        {"team": team, "form": form, "channels": channels, "log": log, "created": created,
         "email_configured": settings.EMAIL_CONFIGURED},
        status=400 if form.errors else 200,
    )


@never_cache
@login_required
def notification_settings(request):
    """Show and change the person's own channels, and what was sent on them."""
    return _channels_page(request, user=request.user)


@never_cache
@login_required
def team_notification_settings(request, pk):
    """Show and change a team's channels (team admins only), and what was sent on them."""
    return _channels_page(request, team=get_team_for(request.user, pk, admin=True))


def _back_to(channel):
    return redirect("team_notifications", pk=channel.team_id) if channel.team_id else redirect("notifications")


@login_required
@require_POST
def channel_enabled(request, pk):
    """Turn a channel on or off."""
    channel = get_channel_for(request.user, pk)
    enabled = request.POST.get("enabled") == "on"
    channel_set_enabled(channel=channel, enabled=enabled)
    messages.success(request, f"{channel} turned {'on' if enabled else 'off'}.")
    return _back_to(channel)


@login_required
@require_POST
def channel_remove(request, pk):
    """Remove a channel and its delivery log."""
    channel = get_channel_for(request.user, pk)
    act_and_tell(request, lambda: channel_delete(channel=channel), lambda: f"{channel} removed.")
    return _back_to(channel)


@login_required
@require_POST
def channel_test(request, pk):
    """Send a test notification on a channel now; say whether it arrived or when it is tried again."""
    channel = get_channel_for(request.user, pk)
    rows = channel_send_test(channel=channel)
    if not rows:
        messages.error(request, f"Nothing to send on {channel}: it is off, or email is not configured or has no address.")
    elif all(row.state == Notification.State.SENT for row in rows):
        messages.success(request, f"Test notification sent on {channel}.")
    else:
        failed = next(row for row in rows if row.state != Notification.State.SENT)
        messages.error(request, f"The test notification on {channel} failed: {failed.last_error} "
                                "The delivery log below shows the next try.")
    return _back_to(channel)
