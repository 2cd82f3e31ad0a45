"""Admin for credentials: keys are write-only, a new key is checked, nothing secret is shown."""
from allauth.mfa.models import Authenticator
from django import forms
from django.contrib import admin, messages
from django.contrib.admin import actions as admin_actions
from django.contrib.admin.utils import NestedObjects, unquote
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.db import router, transaction
from django.db.models import Count
from django.db.models.functions import Lower
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy
from django.views.decorators.debug import sensitive_post_parameters, sensitive_variables

from connectors.registry import provider_choices
from credentials_app.forms import ConnectionAdminForm, CredentialAdminForm, MembershipAdminForm
from credentials_app.models import (
    AuditEvent, Connection, Credential, CredentialShare, MachineRefusalCount, Membership, ProxyUsage, Team,
)
from credentials_app.models import Notification
from credentials_app.services.connections import connection_rename
from credentials_app.services.credentials import (
    CredentialInUse,
    credential_delete,
    credential_edit_description,
    credential_rename,
    credential_store_key,
    ensure_not_in_use,
)
from credentials_app.services.handover import connections_nobody_can_take, credentials_nobody_can_take, user_delete
from credentials_app.services.sharing import credential_share_change_level, credential_unshare, share_grant, team_delete
from credentials_app.services.teams import ensure_admins_remain, memberships_remove, team_keeps_admin
from credentials_app.models import WatchRun
from credentials_app.signin.services import two_factor_reset


def _in_use_refusals(credentials) -> list[str]:
    """Return why each of credentials may not be deleted now, one message per credential in use."""
    refusals = []
    for credential in credentials:
        try:
            ensure_not_in_use(credential)
        except CredentialInUse as refusal:
            refusals.append(f"“{credential}” was not deleted. {refusal}")
    return refusals


@admin.action(permissions=["delete"], description=gettext_lazy("Delete selected %(verbose_name_plural)s"))
def delete_selected(modeladmin, request, queryset):
    """Delete the selected credentials through credential_delete; refuse all while any is in use.

    Named like the site-wide action so it takes its place for credentials.
    """
    refusals = _in_use_refusals(queryset.order_by("name"))
    if not refusals:
        try:
            # One step, so a refusal midway also undoes the deletion log entries.
            with transaction.atomic():
                return admin_actions.delete_selected(modeladmin, request, queryset)
        except CredentialInUse:
            refusals = _in_use_refusals(queryset.order_by("name"))
    modeladmin.message_user(request, " ".join(refusals), messages.ERROR)
    return None


class ProviderFilter(admin.SimpleListFilter):
    """Providers from the registry: no SELECT DISTINCT over every credential."""

    title = "provider"
    parameter_name = "provider"

    def lookups(self, request, model_admin):
        return provider_choices()

    def queryset(self, request, queryset):
        return queryset.filter(provider=self.value()) if self.value() else queryset


class OwnerFilter(admin.SimpleListFilter):
    """A few owners to pick from; search by username reaches any other. Listing every user does not scale."""

    title = "owner"
    parameter_name = "owner"
    SHOWN = 20

    def lookups(self, request, model_admin):
        users = get_user_model().objects.order_by("username")
        shown = list(users.values_list("pk", "username")[: self.SHOWN])
        chosen = self.value()
        if chosen and chosen.isdigit() and all(str(pk) != chosen for pk, _ in shown):
            shown += list(users.filter(pk=chosen).values_list("pk", "username"))
        return [(str(pk), username) for pk, username in shown]

    def queryset(self, request, queryset):
        value = self.value()
        return queryset.filter(owner_id=value) if value and value.isdigit() else queryset


@admin.register(Credential)
class CredentialAdmin(admin.ModelAdmin):
    form = CredentialAdminForm
    list_display = ["name", "provider", "owner", "status", "last_checked_at", "masked_fingerprint", "disabled_at"]
    list_filter = [ProviderFilter, "status", ("disabled_at", admin.EmptyFieldListFilter), OwnerFilter]
    # The page already counts the filtered rows; a second count of all rows only repeats the work.
    show_full_result_count = False
    # A screenful: the page's cost then stays the same from ten credentials to ten thousand.
    list_per_page = 25
    # The order of the credential_list_order index, so a page is read from it, not sorted from all rows.
    ordering = [Lower("name"), "pk"]
    search_fields = ["name", "description", "owner__username"]
    readonly_fields = [
        "provider", "owner", "settings_summary", "masked_fingerprint", "key_id", "status", "status_message",
        "last_checked_at", "last_check_ms", "machine_reads_allowed", "connection_name", "created_at", "updated_at",
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

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        return type(form.__name__, (form,), {"actor": request.user})

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
        try:
            if credential is not None and self.has_delete_permission(request, credential):
                ensure_not_in_use(credential)
            return super().delete_view(request, object_id, extra_context)
        except CredentialInUse as refusal:  # also when a data source was added after the page was shown
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


class TeamMembershipFormSet(forms.BaseInlineFormSet):
    """Refuse a set of members with nobody left as Admin, as the team pages do."""

    def clean(self):
        super().clean()
        kept = [form.cleaned_data for form in self.forms if form.cleaned_data and not form.cleaned_data.get("DELETE")]
        team_keeps_admin(team=self.instance, remaining_roles=[data.get("role") for data in kept])


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
        team_delete(team=obj, actor=request.user)

    def delete_queryset(self, request, queryset):
        with transaction.atomic():
            for team in queryset:
                team_delete(team=team, actor=request.user)


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "team", "role", "created_at"]
    list_filter = ["role", "team"]
    search_fields = ["user__username", "user__email", "team__name"]
    autocomplete_fields = ["user", "team"]
    list_select_related = ["user", "team"]
    form = MembershipAdminForm

    def get_readonly_fields(self, request, obj=None):
        # Moving a membership to another team or user would bypass the last-admin rule.
        return ["team", "user"] if obj is not None else []

    def get_deleted_objects(self, objs, request):
        to_delete, model_count, perms_needed, protected = super().get_deleted_objects(objs, request)
        # The admin shows protected objects and refuses the deletion, single or bulk.
        try:
            ensure_admins_remain(leaving=objs)
        except forms.ValidationError as refusal:
            protected = [*protected, *refusal.messages]
        return to_delete, model_count, perms_needed, protected

    def delete_model(self, request, obj):
        memberships_remove(memberships=[obj])

    def delete_queryset(self, request, queryset):
        memberships_remove(memberships=queryset)


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

    actions = ["reset_two_factors"]

    @admin.action(description="Reset second factors (lost device): they sign in with the password alone, then enrol again",
                  permissions=["change"])
    def reset_two_factors(self, request, queryset):
        reset = [user.get_username() for user in queryset if two_factor_reset(user=user, actor=request.user)]
        if reset:
            self.message_user(request, f"Second factors removed for {', '.join(reset)}.", messages.SUCCESS)
        else:
            self.message_user(request, "None of them had a second factor.", messages.WARNING)

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
# Second factors are removed in the admin only by the audited "Reset second factors" action on users.
if admin.site.is_registered(Authenticator):
    admin.site.unregister(Authenticator)


@admin.register(CredentialShare)
class CredentialShareAdmin(admin.ModelAdmin):
    list_display = ["credential", "team", "level", "shared_by", "created_at"]
    list_filter = ["level", "team"]
    list_select_related = ["credential", "team", "shared_by"]

    def get_readonly_fields(self, request, obj=None):
        # Moving a share to another credential or team is an unshare and a new share.
        return ["credential", "team", "shared_by"] if obj is not None else ["shared_by"]

    # Shares changed here go through the sharing services: audited like the sharing page.
    def save_model(self, request, obj, form, change):
        if change:
            credential_share_change_level(
                share=CredentialShare.objects.select_related("credential", "team").get(pk=obj.pk),
                level=obj.level, actor=request.user,
            )
        else:
            share = share_grant(credential=obj.credential, team=obj.team, level=obj.level, actor=request.user)
            obj.pk = share.pk

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

    def get_form(self, request, obj=None, **kwargs):
        return super().get_form(request, obj, form=ConnectionAdminForm, **kwargs)

    def save_model(self, request, obj, form, change):
        """Rename through the service, as the app does: the name normalised, the change audited."""
        name = obj.name
        obj.refresh_from_db(fields=["name"])
        connection_rename(connection=obj, name=name, actor=request.user)


class ReadOnlyAdmin(admin.ModelAdmin):
    """A record kept by the app itself: listed and shown, never added, changed or deleted here."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "action", "credential_name", "provider", "actor_name"]
    list_filter = ["action", "provider"]
    search_fields = ["credential_name", "actor_name"]


@admin.register(ProxyUsage)
class ProxyUsageAdmin(ReadOnlyAdmin):
    """Proxied calls per token, credential, hour and status: read-only, as the audit log."""

    list_display = ["hour", "credential", "token", "status", "count"]
    list_filter = ["status"]
    list_select_related = ["credential", "token"]
    date_hierarchy = "hour"


@admin.register(MachineRefusalCount)
class MachineRefusalCountAdmin(ReadOnlyAdmin):
    """Refused proxy requests and Vault reads per credential, hour and cause: read-only, as the audit log."""

    list_display = ["hour", "credential", "via", "cause", "status", "count"]
    list_filter = ["via", "cause"]
    list_select_related = ["credential"]
    date_hierarchy = "hour"


@admin.register(WatchRun)
class WatchRunAdmin(ReadOnlyAdmin):
    """The watch's runs: what is due, what ran when, and which worker ran it. Only the watch writes them:
    a hand-made row could run a check twice or never."""

    list_display = ["job", "credential", "due_at", "claimed_by", "lease_until", "attempts", "finished_at", "outcome"]
    list_filter = ["job", "outcome"]
    list_select_related = ["credential"]
    date_hierarchy = "due_at"
    ordering = ["-due_at"]


@admin.register(Notification)
class NotificationAdmin(ReadOnlyAdmin):
    """The notification outbox: what was sent on which channel, what failed, and when it is tried again."""

    list_display = ["created_at", "subject", "channel", "address", "state", "attempts", "next_attempt_at", "last_error"]
    list_filter = ["state", "event"]
    list_select_related = ["channel", "channel__user", "channel__team"]
    search_fields = ["subject", "address"]
