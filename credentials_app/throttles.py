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


def _budgets(*, user, token, provider: str, credential: Credential | None) -> list[Budget]:
    if user is not None:
        budgets = [
            Budget("user", f"{user.pk}", settings.CHECK_BUDGET_PER_USER),
            Budget("user_provider", f"{user.pk}:{provider}", settings.CHECK_BUDGET_PER_PROVIDER),
        ]
    else:
        # No person acts (a team token whose creator was deleted): the token pays as a person would,
        # and its team shares one person's budget, so more tokens never buy more checks.
        budgets = [
            Budget("token", f"{token.pk}", settings.CHECK_BUDGET_PER_USER),
            Budget("token_provider", f"{token.pk}:{provider}", settings.CHECK_BUDGET_PER_PROVIDER),
            Budget("team", f"{token.team_id}", settings.CHECK_BUDGET_PER_USER),
        ]
    if credential is not None:
        budgets.append(Budget("credential", f"{credential.pk}", settings.CHECK_BUDGET_PER_CREDENTIAL))
    return budgets


def check_budget_spend(*, actor, provider: str, credential: Credential | None = None) -> None:
    """Spend one check from each budget of whoever acts; raise CheckThrottled if any is spent already.

    A person (actor) pays from their budgets; with no person, the API token the request acts
    through pays (and its team). The system (no person, no token: scheduled re-checks) has no
    budget: it paces itself per provider.
    """
    token = events.acting_token() if actor is None else None
    if actor is None and token is None:
        return
    window = settings.CHECK_BUDGET_WINDOW_SECONDS
    for budget in _budgets(user=actor, token=token, provider=provider, credential=credential):
        spent = counting_windows.spend_one(f"check-budget:{budget.scope}:{budget.identity}", seconds=window)
        if spent.count > budget.limit:
            refusal = CheckThrottled(retry_after=spent.retry_after, scope=budget.scope)
            if spent.count == budget.limit + 1:
                _record_refusal(actor=actor, token=token, provider=provider, credential=credential, refusal=refusal,
                                limit=budget.limit)
            raise refusal


def _record_refusal(*, actor, token, provider: str, credential: Credential | None, refusal: CheckThrottled, limit: int):
    """Record the first refusal of a window: one log line, and one audit event (credential or not)."""
    window = settings.CHECK_BUDGET_WINDOW_SECONDS
    who = f"user {actor.pk}" if actor is not None else f"API token {token.prefix}"
    logger.warning(
        "Key checks refused for %s on %s: budget %s of %d per %d s spent.",
        who, provider, refusal.scope, limit, window,
    )
    events.check_throttled(
        credential=credential, provider=provider, actor=actor, scope=refusal.scope, limit=limit, window_seconds=window
    )
