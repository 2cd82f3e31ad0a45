"""Admin for credentials: keys are write-only, a new key is checked, nothing secret is shown."""
from django import forms
from django.contrib import admin, messages
from django.contrib.admin import actions as admin_actions
from django.contrib.admin.utils import NestedObjects, unquote
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.db import router, transaction
from django.db.models import Count
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy
from django.views.decorators.debug import sensitive_post_parameters, sensitive_variables

from credentials_app.audit import audit_record
from credentials_app.models import AuditEvent, Connection, Credential, CredentialShare, Membership, Team
from credentials_app.services import (
    CheckFailed,
    CredentialInUse,
    credential_check_new_key,
    credential_delete,
    credential_edit_description,
    credential_rename,
    credential_store_key,
)
from credentials_app.team_services import (
    LAST_ADMIN_MESSAGE,
    connections_nobody_can_take,
    credential_unshare,
    credentials_nobody_can_take,
    user_delete,
)


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


def _in_use_message(credentials) -> str:
    return " ".join(
        f"“{credential}” was not deleted. {CredentialInUse(list(credential.connections.order_by('name')))}"
        for credential in credentials
    )


@admin.action(permissions=["delete"], description=gettext_lazy("Delete selected %(verbose_name_plural)s"))
def delete_selected(modeladmin, request, queryset):
    """Delete the selected credentials through credential_delete; refuse all while any is in use.

    Named like the site-wide action so it takes its place for credentials.
    """
    in_use = list(queryset.filter(connections__isnull=False).distinct().order_by("name"))
    if in_use:
        modeladmin.message_user(request, _in_use_message(in_use), messages.ERROR)
        return None
    try:
        # One step, so a refusal midway also undoes the deletion log entries.
        with transaction.atomic():
            return admin_actions.delete_selected(modeladmin, request, queryset)
    except CredentialInUse:
        modeladmin.message_user(
            request, _in_use_message(queryset.filter(connections__isnull=False).distinct()), messages.ERROR
        )
        return None


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
    actions = [delete_selected]

    @admin.display(description="Key")
    def masked_fingerprint(self, obj):
        return obj.masked_fingerprint

    @admin.display(description="Settings")
    def settings_summary(self, obj):
        return ", ".join(f"{label}: {value}" for label, value in obj.settings_display()) or "—"

    def has_add_permission(self, request):
        # Credentials are added through the Add Credential flow, where the key is checked.
        return False

    @method_decorator(sensitive_post_parameters("new_key"))
    @method_decorator(sensitive_variables())
    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        return super().changeform_view(request, object_id, form_url, extra_context)

    def save_model(self, request, obj, form, change):
        # Apply only what the form changed, through the audited services, on a fresh row: the
        # provider check in clean() can take seconds, and a whole-row save would undo anything
        # (a replaced key, a handover) that landed meanwhile.
        credential = Credential.objects.get(pk=obj.pk)
        if "name" in form.changed_data:
            credential_rename(credential=credential, name=form.cleaned_data["name"], actor=request.user)
        if "description" in form.changed_data:
            credential_edit_description(
                credential=credential, description=form.cleaned_data["description"], actor=request.user
            )
        if getattr(form, "verified_key", None):
            key, result = form.verified_key
            credential_store_key(credential=credential, key=key, result=result, actor=request.user)

    # Deleting goes through credential_delete: audited, and refused while data sources use the credential.
    def delete_view(self, request, object_id, extra_context=None):
        credential = self.get_object(request, unquote(object_id))
        if credential is not None and self.has_delete_permission(request, credential):
            in_use = list(credential.connections.order_by("name"))
            if in_use:
                return self._refuse_deletion(request, credential, CredentialInUse(in_use))
        try:
            return super().delete_view(request, object_id, extra_context)
        except CredentialInUse as refusal:  # a data source was added after the page was shown
            return self._refuse_deletion(request, credential, refusal)

    def _refuse_deletion(self, request, credential, refusal):
        self.message_user(request, f"“{credential}” was not deleted. {refusal}", messages.ERROR)
        return redirect(reverse("admin:credentials_app_credential_change", args=[credential.pk]))

    def delete_model(self, request, obj):
        credential_delete(credential=obj, actor=request.user)

    def delete_queryset(self, request, queryset):
        with transaction.atomic():
            for credential in queryset:
                credential_delete(credential=credential, actor=request.user)


def _last_admins(memberships) -> list[Membership]:
    """Return the memberships among memberships whose removal would leave their team with no admin."""
    leaving = {membership.pk for membership in memberships}
    return [
        membership
        for membership in memberships
        if membership.role == Membership.Role.ADMIN
        and not Membership.objects.filter(team_id=membership.team_id, role=Membership.Role.ADMIN)
        .exclude(pk__in=leaving)
        .exists()
    ]


class TeamMembershipFormSet(forms.BaseInlineFormSet):
    """Refuse a set of members with nobody left as Admin, as the team pages do."""

    def clean(self):
        super().clean()
        kept = [form.cleaned_data for form in self.forms if form.cleaned_data and not form.cleaned_data.get("DELETE")]
        # A team that has members keeps an admin; only a new, empty team may have none.
        had_members = self.instance.pk is not None and self.instance.memberships.exists()
        if (kept or had_members) and not any(data.get("role") == Membership.Role.ADMIN for data in kept):
            raise forms.ValidationError(LAST_ADMIN_MESSAGE.format(team=self.instance))


class MembershipInline(admin.TabularInline):
    model = Membership
    formset = TeamMembershipFormSet
    extra = 1
    autocomplete_fields = ["user"]


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = ["name", "member_count", "created_at"]
    search_fields = ["name"]
    inlines = [MembershipInline]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(_member_count=Count("memberships", distinct=True))

    @admin.display(description="Members", ordering="_member_count")
    def member_count(self, obj):
        return obj._member_count

    # A deleted team's shares end as if each were unshared on the sharing page: audited.
    def delete_model(self, request, obj):
        with transaction.atomic():
            for share in obj.shares.select_related("credential", "team"):
                credential_unshare(share=share, actor=request.user)
            obj.delete()

    def delete_queryset(self, request, queryset):
        with transaction.atomic():
            for team in queryset:
                self.delete_model(request, team)


class MembershipAdminForm(forms.ModelForm):
    class Meta:
        model = Membership
        fields = ["team", "user", "role"]

    def clean(self):
        cleaned = super().clean()
        if self.instance.pk and cleaned.get("role") != Membership.Role.ADMIN:
            original = Membership.objects.get(pk=self.instance.pk)
            if _last_admins([original]):
                self.add_error("role", LAST_ADMIN_MESSAGE.format(team=original.team))
        return cleaned


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    form = MembershipAdminForm
    list_display = ["user", "team", "role", "created_at"]
    list_filter = ["role", "team"]
    search_fields = ["user__username", "user__email", "team__name"]
    autocomplete_fields = ["user", "team"]
    list_select_related = ["user", "team"]

    def get_readonly_fields(self, request, obj=None):
        # Moving a membership to another team or user would bypass the last-admin rule.
        return ["team", "user"] if obj is not None else []

    def get_deleted_objects(self, objs, request):
        to_delete, model_count, perms_needed, protected = super().get_deleted_objects(objs, request)
        # The admin shows protected objects and refuses the deletion, single or bulk.
        protected = [*protected, *(f"{membership}: {LAST_ADMIN_MESSAGE.format(team=membership.team)}"
                                   for membership in _last_admins(list(objs)))]
        return to_delete, model_count, perms_needed, protected


def _without_connections(nested: list) -> list:
    """Return the admin's nested list of objects to delete without its connection entries."""
    prefix = f"{capfirst(Connection._meta.verbose_name)}: "
    return [
        _without_connections(item) if isinstance(item, list) else item
        for item in nested
        if isinstance(item, list) or not str(item).startswith(prefix)
    ]


class HandOverUserAdmin(UserAdmin):
    """Deleting a user hands their credentials over first; the owner foreign key is PROTECT."""

    def get_deleted_objects(self, objs, request):
        to_delete, model_count, perms_needed, protected = super().get_deleted_objects(objs, request)
        collector = NestedObjects(using=router.db_for_write(self.model))
        collector.collect(objs)
        # Credentials that someone can take over do not block the deletion: they are handed over.
        if all(isinstance(obj, Credential) for obj in collector.protected) and not credentials_nobody_can_take(
            users=objs
        ):
            protected = []
        # Connections are handed over too, so they are not listed as deleted; those nobody can take block it.
        protected = [*protected, *connections_nobody_can_take(users=objs)]
        to_delete = _without_connections(to_delete)
        model_count.pop(Connection._meta.verbose_name_plural, None)
        perms_needed.discard(Connection._meta.verbose_name)
        return to_delete, model_count, perms_needed, protected

    def delete_model(self, request, obj):
        user_delete(user=obj)

    def delete_queryset(self, request, queryset):
        for user in queryset:
            user_delete(user=user)


if admin.site.is_registered(get_user_model()):
    admin.site.unregister(get_user_model())
admin.site.register(get_user_model(), HandOverUserAdmin)


@admin.register(CredentialShare)
class CredentialShareAdmin(admin.ModelAdmin):
    list_display = ["credential", "team", "level", "shared_by", "created_at"]
    list_filter = ["level", "team"]
    list_select_related = ["credential", "team", "shared_by"]

    # Shares changed here are audited like shares changed on the sharing page.
    def save_model(self, request, obj, form, change):
        if not change:
            obj.shared_by = obj.shared_by or request.user
        super().save_model(request, obj, form, change)
        if not change or "level" in form.changed_data or "team" in form.changed_data:
            details = {"team": obj.team.name, "team_id": str(obj.team_id), "level": obj.level}
            if change and "level" in form.changed_data:
                details["previous_level"] = form.initial.get("level")
            audit_record(credential=obj.credential, actor=request.user, action=AuditEvent.Action.SHARED, details=details)

    def delete_model(self, request, obj):
        credential_unshare(share=obj, actor=request.user)

    def delete_queryset(self, request, queryset):
        for share in queryset.select_related("credential", "team"):
            credential_unshare(share=share, actor=request.user)


@admin.register(Connection)
class ConnectionAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "provider", "owner", "credential", "created_at"]
    list_filter = ["kind", "provider"]
    # Connections are built in the app, which checks the credential's provider and that it is enabled,
    # and records the use; here only the name may change.
    readonly_fields = ["kind", "provider", "owner", "credential", "created_at"]

    def has_add_permission(self, request):
        return False


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
