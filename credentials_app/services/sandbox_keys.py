"""The sandbox's test keys as the Add overlay offers them: for one provider, with the settings each fits."""
import re

from connectors.base import Connector
from connectors.sandbox import keys

# "Verified (People.ai: on Production; TIXY: as a Public API Token)": notes per provider, in brackets.
_PER_PROVIDER = re.compile(r"\s*\(([^()]*:[^()]*)\)")


def _outcome_for(outcome: str, provider_name: str) -> str:
    """Return outcome with only the bracketed note about provider_name, put into the sentence."""
    def keep_own(match: re.Match) -> str:
        notes = dict(note.split(":", 1) for note in match.group(1).split(";") if ":" in note)
        own = {name.strip(): text.strip() for name, text in notes.items()}.get(provider_name)
        return f" {own}" if own else ""

    return _PER_PROVIDER.sub(keep_own, outcome)


def _settings_for(outcome: str, connector: Connector) -> dict[str, str]:
    """Return the setting values a key needs, read from what its outcome says it is verified with."""
    verified = outcome.split(";")[0]
    if not verified.startswith("Verified"):
        return {}
    chosen = {}
    for setting in connector.settings:
        matches = [choice.value for choice in setting.offered if re.search(rf"\b{re.escape(choice.label)}\b", verified)]
        if len(matches) == 1:
            chosen[setting.name] = matches[0]
    return chosen


def sandbox_keys_for(connector: Connector) -> list[dict]:
    """Return each test key that applies to connector: the key, its outcome there, and the settings it fits."""
    offered = []
    for key, outcome in keys.table_for(connector.name):
        own = _outcome_for(outcome, connector.name)
        offered.append({"key": key, "outcome": own, "settings": _settings_for(own, connector)})
    return offered
