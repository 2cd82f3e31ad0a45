"""Check budgets: how many key checks a user may ask for per fixed window, shared by app servers."""
import logging
from dataclasses import dataclass

from django.conf import settings

from credentials_app import counting_windows, events
from credentials_app.models import Credential

logger = logging.getLogger(__name__)


class CheckThrottled(Exception):
    """A check refused because a budget is spent; retry_after is in seconds."""

    def __init__(self, *, retry_after: int, scope: str):
        self.retry_after = retry_after
        self.scope = scope
        super().__init__(self.message)

    @property
    def message(self) -> str:
        """Return the refusal in the user's words, saying when to try again."""
        seconds = self.retry_after
        wait = f"{seconds} second{'s' if seconds != 1 else ''}"
        return f"Too many key checks in a short time, so this key was not checked. Try again in {wait}."


@dataclass(frozen=True)
class Budget:
    scope: str
    identity: str
    limit: int


def _budgets(*, user, provider: str, credential: Credential | None) -> list[Budget]:
    budgets = [
        Budget("user", f"{user.pk}", settings.CHECK_BUDGET_PER_USER),
        Budget("user_provider", f"{user.pk}:{provider}", settings.CHECK_BUDGET_PER_PROVIDER),
    ]
    if credential is not None:
        budgets.append(Budget("credential", f"{credential.pk}", settings.CHECK_BUDGET_PER_CREDENTIAL))
    return budgets


def check_budget_spend(*, actor, provider: str, credential: Credential | None = None) -> None:
    """Spend one check from each of actor's budgets; raise CheckThrottled if any is spent already.

    The system (actor None: scheduled re-checks) has no budget: it paces itself per provider.
    """
    if actor is None:
        return
    user = actor
    window = settings.CHECK_BUDGET_WINDOW_SECONDS
    for budget in _budgets(user=user, provider=provider, credential=credential):
        spent = counting_windows.spend_one(f"check-budget:{budget.scope}:{budget.identity}", seconds=window)
        if spent.count > budget.limit:
            refusal = CheckThrottled(retry_after=spent.retry_after, scope=budget.scope)
            if spent.count == budget.limit + 1:
                _record_refusal(user=user, provider=provider, credential=credential, refusal=refusal, limit=budget.limit)
            raise refusal


def _record_refusal(*, user, provider: str, credential: Credential | None, refusal: CheckThrottled, limit: int):
    """Record the first refusal of a window: one log line, and one audit event (credential or not)."""
    window = settings.CHECK_BUDGET_WINDOW_SECONDS
    logger.warning(
        "Key checks refused for user %s on %s: budget %s of %d per %d s spent.",
        user.pk, provider, refusal.scope, limit, window,
    )
    events.check_throttled(
        credential=credential, provider=provider, actor=user, scope=refusal.scope, limit=limit, window_seconds=window
    )
