"""Refused machine requests (the proxy, Vault reads): counted per credential, hour, door and cause.

Anyone who knows a credential's id may send requests naming it; each refusal is one counted row
update, and only the first of each hour and cause is written to the audit log, so a flood of
refusals cannot flood the log.
"""
from dataclasses import dataclass

from django.db.models import Sum
from django.utils import timezone

from credentials_app import events
from credentials_app.machine.usage import count_on
from credentials_app.models import ApiToken, Credential, MachineRefusalCount

Via = MachineRefusalCount.Via


def refusal_record(
    *, credential: Credential, token: ApiToken | None, via: str, status: int, cause: str, reason: str, reached: bool
) -> None:
    """Count one refused request naming credential; audit it if it is the first of its hour and cause.

    reached says whether the caller could see the credential: if not, the audit event is kept beside
    it, not in its history (see events.machine_refused).
    """
    hour = timezone.now().replace(minute=0, second=0, microsecond=0)

    def create() -> None:
        # Only the request that creates the hour's row is audited.
        MachineRefusalCount.objects.create(credential=credential, hour=hour, via=via, cause=cause, status=status, count=1)
        events.machine_refused(credential=credential, token=token, via=via, status=status, reason=reason, reached=reached)

    count_on(MachineRefusalCount.objects.filter(credential=credential, hour=hour, via=via, cause=cause), 1, create)


@dataclass(frozen=True)
class RefusalsToday:
    via: str
    cause: str
    status: int
    count: int


def credential_refusals_today(credential: Credential) -> list[RefusalsToday]:
    """Return the machine requests naming credential refused since midnight (TIME_ZONE), per door and cause."""
    midnight = timezone.localtime().replace(hour=0, minute=0, second=0, microsecond=0)
    rows = (
        MachineRefusalCount.objects.filter(credential=credential, hour__gte=midnight)
        .values("via", "cause", "status")
        .annotate(count=Sum("count"))
        .order_by("-count", "cause")
    )
    return [RefusalsToday(row["via"], row["cause"], row["status"], row["count"]) for row in rows]
