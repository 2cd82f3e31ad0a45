"""Every form of the app. Forms present fields; the services enforce the rules behind them."""
from django import forms
from django.core.exceptions import ValidationError
from django.contrib.auth.forms import UserCreationForm

from connectors.base import Connector
from connectors.registry import provider_choices
from credentials_app.models import ApiToken, Connection, Credential, CredentialShare, Membership, Team
from credentials_app.names import DESCRIPTION_MAX_LENGTH, NAME_MAX_LENGTH, clean_name
from credentials_app.selectors import CredentialFilter, connection_credential_choices, credential_replacements
from credentials_app.services.credentials import KEY_MAX_LENGTH, CheckFailed, credential_check_new_key
from credentials_app.services.permits import PERMIT_MAX_LENGTH
from credentials_app.services.teams import ensure_admins_remain
from credentials_app.throttles import CheckThrottled

DESCRIPTION_HINT = "A description helps others understand what this credential is for."
LEVEL_HELP = (
    "“Can use”: select it for data sources and destinations and check it again. "
    "“Can manage”: also rename it, edit its description, replace the key, share, unshare and delete it. "
    "Nobody can read the key."
)


class KeyField(forms.CharField):
    """An API key input: never rendered back into HTML, never trimmed by the form (the service normalises)."""

    def __init__(self, *, label: str = "API Key", **kwargs):
        widget = forms.PasswordInput(render_value=False, attrs={"autocomplete": "off", "spellcheck": "false"})
        super().__init__(label=label, strip=False, max_length=KEY_MAX_LENGTH, widget=widget, **kwargs)


def _description_field(**kwargs) -> forms.CharField:
    return forms.CharField(
        label="Credential Description", required=False, max_length=DESCRIPTION_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 2}), **kwargs,
    )


# --- The connect flow ---------------------------------------------------------


class CredentialForm(forms.Form):
    """The Add Credential overlay: name, description, key and the provider's own settings."""

    name = forms.CharField(label="Credential Name", max_length=NAME_MAX_LENGTH)
    description = _description_field(help_text=DESCRIPTION_HINT)
    key = KeyField()
    creation_token = forms.UUIDField(widget=forms.HiddenInput)
    # A signed permit from a "could not check" answer, not a yes/no the browser could forge.
    save_unverified = forms.CharField(required=False, max_length=PERMIT_MAX_LENGTH, widget=forms.HiddenInput)
    accept_restricted = forms.BooleanField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, connector: Connector, **kwargs):
        super().__init__(*args, **kwargs)
        self.connector = connector
        self.fields["key"].label = connector.key_label
        self.fields["key"].help_text = connector.key_help
        _add_setting_fields(self, connector)

    def options(self) -> dict[str, str]:
        return _options(self)


def _add_setting_fields(form: forms.Form, connector: Connector, current: dict | None = None) -> None:
    """Add one choice field per provider setting, set to current (or the default)."""
    for setting in connector.settings:
        form.fields[setting.name] = forms.ChoiceField(
            label=setting.label, choices=setting.choices, help_text=setting.help_text,
            initial=(current or {}).get(setting.name, setting.default),
        )


def _options(form: forms.Form) -> dict[str, str]:
    return {setting.name: form.cleaned_data[setting.name] for setting in form.connector.settings}


class ConnectionNameForm(forms.Form):
    credential = forms.UUIDField(widget=forms.HiddenInput)
    creation_token = forms.UUIDField(required=False, widget=forms.HiddenInput)
    name = forms.CharField(max_length=NAME_MAX_LENGTH)

    def __init__(self, *args, kind_label: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["name"].label = f"{kind_label} Name"


class ConnectionRenameForm(forms.Form):
    name = forms.CharField(label="Name", max_length=NAME_MAX_LENGTH)

    # Takes the connection like ConnectionCredentialForm, so the views build both the same way.
    def __init__(self, *args, connection, **kwargs):
        super().__init__(*args, **kwargs)


class CredentialWithStatusField(forms.ModelChoiceField):
    """A credential choice that names each credential's status, so a dead key is seen before it is chosen."""

    def label_from_instance(self, credential):
        return f"{credential.name} ({credential.get_status_display()})"


class ConnectionCredentialForm(forms.Form):
    credential = CredentialWithStatusField(
        label="Use the credential", queryset=Credential.objects.none(), empty_label="Choose a credential"
    )

    def __init__(self, *args, connection, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["credential"].queryset = connection_credential_choices(connection)


class OwnerSetupForm(UserCreationForm):
    """The one-time form that creates the first account, the owner."""

    email = forms.EmailField(label="Email", required=False)

    class Meta(UserCreationForm.Meta):
        fields = ("username", "email")


# --- Credentials management -------------------------------------------------------


class CredentialFilterForm(forms.Form):
    q = forms.CharField(label="Search", required=False, max_length=NAME_MAX_LENGTH)
    provider = forms.ChoiceField(label="Provider", required=False)
    status = forms.ChoiceField(label="Status", required=False)
    team = forms.ModelChoiceField(label="Team", required=False, queryset=Team.objects.none(), empty_label="Any team")
    attention = forms.BooleanField(label="Needs attention", required=False)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["provider"].choices = [("", "Any provider"), *provider_choices()]
        self.fields["status"].choices = [
            ("", "Any status"), *Credential.Status.choices, (CredentialFilter.DISABLED, "Disabled")
        ]
        self.fields["team"].queryset = Team.objects.filter(memberships__user=user)

    def filters(self) -> CredentialFilter:
        """Return the chosen filters; invalid choices are ignored."""
        data = self.cleaned_data if self.is_valid() else {}
        return CredentialFilter(
            provider=data.get("provider", ""),
            status=data.get("status", ""),
            team=data.get("team"),
            needs_attention=data.get("attention", False),
            query=data.get("q", ""),
        )


class CredentialEditForm(forms.Form):
    """The edit dialog: name, description and settings together, and an optional new key.

    Fields missing from the data keep the credential's current values, so a post that changes
    one thing (the old single-field forms) is an edit too.
    """

    name = forms.CharField(label="Credential Name", max_length=NAME_MAX_LENGTH)
    description = _description_field()
    key = KeyField(required=False)

    def __init__(self, data=None, *, credential: Credential, require_key: bool = False, **kwargs):
        self.connector = credential.connector
        current = {
            "name": credential.name, "description": credential.description,
            **credential.settings_values(),
        }
        if data is not None:
            data = {**current, **{name: data[name] for name in data}}
        super().__init__(data, initial=current, **kwargs)
        self.fields["key"].required = require_key
        self.fields["key"].label = f"New {self.connector.key_label}"
        self.fields["key"].help_text = (
            "Leave empty to keep the current key. A new key, or a changed setting, is checked with "
            f"{self.connector.name} first and saved only if verified."
        )
        _add_setting_fields(self, self.connector, current)
        self.order_fields(["name", "description", *(setting.name for setting in self.connector.settings), "key"])

    def options(self) -> dict[str, str]:
        return _options(self)


class MachineReadsForm(forms.Form):
    allowed = forms.BooleanField(
        label="Allow machine reads", required=False,
        help_text="Tokens with the credentials:read_secret scope and “Can use” on this credential may read its key, "
        "for tools that must hold it (Airflow). Every read is in the history.",
    )
    connection_name = forms.SlugField(
        label="Connection id", max_length=100, required=False,
        help_text="The name tools read it by, e.g. an Airflow connection id: letters, digits, - and _.",
    )


class MoveAndDeleteForm(forms.Form):
    replacement = forms.ModelChoiceField(
        label="Move them to", queryset=Credential.objects.none(), empty_label="Choose a credential"
    )

    def __init__(self, *args, user, credential: Credential, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["replacement"].queryset = credential_replacements(user, credential)


# --- Teams and sharing ------------------------------------------------------------


class TeamForm(forms.Form):
    name = forms.CharField(label="Team name", max_length=NAME_MAX_LENGTH)


class MemberAddForm(forms.Form):
    """Invite someone to a team by email; the answer is the same whether or not they have an account."""

    email = forms.EmailField(
        label="Email",
        max_length=254,
        help_text="They get a link that works once: it makes their account, or signs in to the one they have.",
    )
    role = forms.ChoiceField(label="Role", choices=Membership.Role.choices, initial=Membership.Role.MEMBER)


class InvitedAccountForm(UserCreationForm):
    """The account an invited person makes when accepting; the invitation's email address is theirs."""

    class Meta(UserCreationForm.Meta):
        fields = ("username",)


class ShareForm(forms.Form):
    teams = forms.ModelMultipleChoiceField(
        label="Teams", queryset=Team.objects.none(), widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "Choose at least one team."},
    )
    level = forms.ChoiceField(
        label="Level", choices=CredentialShare.Level.choices, initial=CredentialShare.Level.USE,
        widget=forms.RadioSelect, help_text=LEVEL_HELP,
    )

    def __init__(self, *args, user, credential, **kwargs):
        super().__init__(*args, **kwargs)
        # Only the sharer's own teams, and not those that already have it (their level is changed below).
        self.fields["teams"].queryset = Team.objects.filter(memberships__user=user).exclude(
            shares__credential=credential
        )


class CredentialAdminForm(forms.ModelForm):
    """The admin's credential form: name, description, and a write-only new key."""

    new_key = KeyField(
        label="Replace key",
        required=False,
        help_text="Write-only. Leave empty to keep the current key. A new key is checked with the provider "
        "first and replaces the old one only if it is verified.",
    )

    # The admin binds the signed-in user here, so a refused key is recorded with who tried it.
    actor = None

    class Meta:
        model = Credential
        fields = ["name", "description"]

    def clean(self):
        cleaned = super().clean()
        self.verified_key = None
        if cleaned.get("new_key"):
            try:
                self.verified_key = credential_check_new_key(
                    credential=self.instance, key=cleaned["new_key"], actor=self.actor
                )
            except CheckFailed as failure:
                self.add_error("new_key", f"The key was not replaced: {failure.result.message}")
            except CheckThrottled as refusal:
                self.add_error("new_key", f"The key was not replaced. {refusal.message}")
            except ValidationError as error:
                self.add_error("new_key", error.message_dict.get("key", error.messages))
        return cleaned


class MembershipAdminForm(forms.ModelForm):
    """The admin's membership form: a role change that would leave a team without an admin is refused."""

    class Meta:
        model = Membership
        fields = ["team", "user", "role"]

    def clean(self):
        cleaned = super().clean()
        if self.instance.pk and cleaned.get("role"):
            changed = Membership(pk=self.instance.pk, team=self.instance.team, user=self.instance.user, role=cleaned["role"])
            try:
                ensure_admins_remain(changed=[changed])
            except ValidationError as refusal:
                self.add_error("role", refusal.messages)
        return cleaned


# --- API tokens ---------------------------------------------------------------

EXPIRY_CHOICES = [("30", "30 days"), ("90", "90 days"), ("365", "1 year"), ("never", "Never")]


class ApiTokenForm(forms.Form):
    """A new API token: its name, whose it is (yours or a team's you administer), expiry and scopes."""

    name = forms.CharField(label="Token name", max_length=NAME_MAX_LENGTH, help_text="Say where it is used, e.g. “Provisioning script”.")
    owner = forms.ChoiceField(label="Acts for")
    expiry = forms.ChoiceField(label="Expires after", choices=EXPIRY_CHOICES, initial="90")
    scopes = forms.MultipleChoiceField(
        label="Scopes", choices=ApiToken.Scope.choices, widget=forms.CheckboxSelectMultiple,
        initial=[ApiToken.Scope.READ],
    )

    def __init__(self, *args, admin_teams, **kwargs):
        super().__init__(*args, **kwargs)
        self.teams = {str(team.pk): team for team in admin_teams}
        self.fields["owner"].choices = [("", "Me (a personal token)")] + [
            (pk, f"Team {team.name} (a team token)") for pk, team in self.teams.items()
        ]
        self.fields["owner"].required = False

    def expires_in_days(self) -> int | None:
        expiry = self.cleaned_data["expiry"]
        return None if expiry == "never" else int(expiry)

    def team(self):
        return self.teams.get(self.cleaned_data.get("owner") or "")


class ConnectionAdminForm(forms.ModelForm):
    """The admin's rename of a data source or destination: the app's name rule, before the service saves it."""

    class Meta:
        model = Connection
        fields = ["name"]

    def clean_name(self):
        try:
            return clean_name(self.cleaned_data["name"], field="name", what=self.instance.get_kind_display().lower())
        except ValidationError as error:
            raise ValidationError(error.message_dict["name"]) from None
