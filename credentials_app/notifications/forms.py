"""The form that adds a Slack or webhook channel."""
from django import forms

from credentials_app.notifications.addresses import validate_webhook_url
from credentials_app.models import NotificationChannel

Kind = NotificationChannel.Kind


class ChannelForm(forms.Form):
    """A new channel: Slack (an incoming webhook URL) or a signed webhook (any HTTPS URL)."""

    kind = forms.ChoiceField(
        label="Kind", choices=[(Kind.SLACK, "Slack (incoming webhook)"), (Kind.WEBHOOK, "Webhook (signed, Standard Webhooks)")],
    )
    url = forms.CharField(
        label="URL", max_length=2000, validators=[validate_webhook_url],
        help_text="HTTPS only. Slack: the incoming webhook URL from your Slack app. It is shown only by its host once saved.",
        widget=forms.URLInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
