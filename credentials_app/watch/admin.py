"""The watch's runs in the admin, read only: what is due, what ran when, and which worker ran it."""
from django.contrib import admin

from credentials_app.watch.models import WatchRun


@admin.register(WatchRun)
class WatchRunAdmin(admin.ModelAdmin):
    list_display = ["job", "credential", "due_at", "claimed_by", "lease_until", "attempts", "finished_at", "outcome"]
    list_filter = ["job", "outcome"]
    list_select_related = ["credential"]
    date_hierarchy = "due_at"
    ordering = ["-due_at"]

    # The watch alone writes runs; a hand-made row could run a check twice or never.
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
