"""The watch's one table: a row per job and due time, claimed by one worker under a lease."""
from django.db import models
from django.db.models import Q


class WatchRun(models.Model):
    """One run of a watch job on a credential, due at due_at: claimed by one worker, done once.

    A worker claims due rows with SELECT ... FOR UPDATE SKIP LOCKED and holds each under a lease
    (lease_until) that it renews while it works; a worker that dies stops renewing, and once the
    lease has passed another worker claims the row and runs it. Only the claimant finishes it.
    """

    class Job(models.TextChoices):
        CHECK = "check", "Scheduled check"
        # A check confirming that a key the provider refused in use (through the proxy) is dead.
        CONFIRM = "confirm", "Confirm a key refused in use"
        EXPIRY = "expiry", "Warn that a key expires soon"

    job = models.CharField(max_length=10, choices=Job.choices)
    credential = models.ForeignKey("credentials_app.Credential", on_delete=models.CASCADE, related_name="watch_runs")
    due_at = models.DateTimeField()
    # The outcome of the check run before this one, and how many runs in a row ended so: the back-off.
    after_outcome = models.CharField(max_length=20, blank=True)
    streak = models.PositiveIntegerField(default=0)
    # Expiry warnings: the days left the warning announces.
    days_left = models.PositiveSmallIntegerField(null=True, blank=True)
    claimed_by = models.CharField(max_length=100, blank=True)
    lease_until = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    finished_at = models.DateTimeField(null=True, blank=True)
    outcome = models.CharField(max_length=20, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        app_label = "credentials_app"
        constraints = [
            models.UniqueConstraint(fields=["job", "credential", "due_at"], name="unique_watch_run"),
            # At most one check and one confirmation waiting per credential, whichever server plans it.
            models.UniqueConstraint(
                fields=["job", "credential"], condition=Q(finished_at__isnull=True, job__in=["check", "confirm"]),
                name="one_pending_watch_run",
            ),
        ]
        indexes = [
            models.Index(fields=["due_at"], condition=Q(finished_at__isnull=True), name="watch_run_pending_due"),
            models.Index(fields=["finished_at"], name="watch_run_finished"),
        ]

    def __str__(self):
        return f"{self.get_job_display()} of {self.credential_id} due {self.due_at:%Y-%m-%d %H:%M}"
