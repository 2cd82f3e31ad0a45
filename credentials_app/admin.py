"""Admin for credentials: keys are write-only, a new key is checked, nothing secret is shown."""
from django import forms
from django.contrib import admin

from credentials_app.models import AuditEvent, Connection, Credential, CredentialShare, Membership, Team
from credentials_app.services import CheckFailed, credential_check_new_key, credential_store_key


class CredentialAdminForm(forms.ModelForm):
    new_key = forms.CharField(
        label="Replace key",
        required=False,
        strip=False,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
        help_text="Write-only. Leave empty to keep the current key. A new key is checked with the provider "
        "first and replaces the old one only if it is verified.",
    )

    class Meta:
        model = Credential
        fields = ["name", "description"]

    def clean(self):
        cleaned = super().clean()
        self.verified_key = None
        if cleaned.get("new_key"):
            try:
                self.verified_key = credential_check_new_key(credential=self.instance, key=cleaned["new_key"])
            except CheckFailed as failure:
                self.add_error("new_key", f"The key was not replaced: {failure.result.message}")
            except forms.ValidationError as error:
                self.add_error("new_key", error.message_dict.get("key", error.messages))
        return cleaned


@admin.register(Credential)
class CredentialAdmin(admin.ModelAdmin):
    form = CredentialAdminForm
    list_display = ["name", "provider", "owner", "status", "last_checked_at", "masked_fingerprint", "disabled_at"]
    list_filter = ["provider", "status", ("disabled_at", admin.EmptyFieldListFilter), "owner"]
    search_fields = ["name", "description", "owner__username"]
    readonly_fields = [
        "provider", "owner", "settings_summary", "masked_fingerprint", "key_id", "status", "status_message",
        "last_checked_at", "last_check_ms", "created_at", "updated_at",
    ]
    fields = ["name", "description", "new_key", *readonly_fields]
    list_select_related = ["owner"]

    @admin.display(description="Key")
    def masked_fingerprint(self, obj):
        return obj.masked_fingerprint

    @admin.display(description="Settings")
    def settings_summary(self, obj):
        return ", ".join(f"{label}: {value}" for label, value in obj.settings_display()) or "—"

    def has_add_permission(self, request):
        # Credentials are added through the Add Credential flow, where the key is checked.
        return False

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if getattr(form, "verified_key", None):
            key, result = form.verified_key
            credential_store_key(credential=obj, key=key, result=result, actor=request.user)


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 1
    autocomplete_fields = ["user"]


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = ["name", "created_at"]
    search_fields = ["name"]
    inlines = [MembershipInline]


@admin.register(CredentialShare)
class CredentialShareAdmin(admin.ModelAdmin):
    list_display = ["credential", "team", "level", "shared_by", "created_at"]
    list_filter = ["level", "team"]


@admin.register(Connection)
class ConnectionAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "provider", "owner", "credential", "created_at"]
    list_filter = ["kind", "provider"]


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    list_display = ["created_at", "action", "credential_name", "provider", "actor_name"]
    list_filter = ["action", "provider"]
    search_fields = ["credential_name", "actor_name"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
