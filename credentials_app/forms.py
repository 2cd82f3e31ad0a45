"""Forms of the overlay and the flow; fields of provider settings come from the connector."""
from django import forms
from django.contrib.auth.forms import UserCreationForm

from connectors.base import Connector

DESCRIPTION_HINT = "A description helps others understand what this credential is for."


class CredentialForm(forms.Form):
    """The Add Credential overlay: name, description, key and the provider's own settings."""

    name = forms.CharField(label="Credential Name", max_length=100)
    description = forms.CharField(
        label="Credential Description",
        required=False,
        max_length=500,
        help_text=DESCRIPTION_HINT,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    # The key field never renders a value: a key never goes back into HTML.
    key = forms.CharField(
        label="API Key",
        strip=False,
        max_length=4096,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    creation_token = forms.UUIDField(widget=forms.HiddenInput)
    # A signed permit from a "could not check" answer, not a yes/no the browser could forge.
    save_unverified = forms.CharField(required=False, max_length=500, widget=forms.HiddenInput)
    accept_restricted = forms.BooleanField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, connector: Connector, **kwargs):
        super().__init__(*args, **kwargs)
        self.connector = connector
        self.fields["key"].label = connector.key_label
        self.fields["key"].help_text = connector.key_help
        for setting in connector.settings:
            self.fields[setting.name] = forms.ChoiceField(
                label=setting.label,
                choices=setting.choices,
                initial=setting.default,
                help_text=setting.help_text,
            )

    @property
    def setting_names(self) -> list[str]:
        return [setting.name for setting in self.connector.settings]

    def options(self) -> dict[str, str]:
        return {name: self.cleaned_data[name] for name in self.setting_names}


class ConnectionNameForm(forms.Form):
    credential = forms.UUIDField(widget=forms.HiddenInput)
    creation_token = forms.UUIDField(required=False, widget=forms.HiddenInput)
    name = forms.CharField(max_length=100)

    def __init__(self, *args, kind_label: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["name"].label = f"{kind_label} Name"


class OwnerSetupForm(UserCreationForm):
    """The one-time form that creates the first account, the owner."""

    email = forms.EmailField(label="Email", required=False)

    class Meta(UserCreationForm.Meta):
        fields = ("username", "email")
