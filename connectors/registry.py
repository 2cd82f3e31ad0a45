"""The one explicit list of providers. A provider exists here or nowhere."""
from connectors.base import Connector
from connectors.providers.custify import Custify
from connectors.providers.humanitix import Humanitix
from connectors.providers.moshtix import Moshtix
from connectors.providers.peopleai import PeopleAi
from connectors.providers.tixy import Tixy

CONNECTORS: tuple[Connector, ...] = (Humanitix(), Moshtix(), Custify(), Tixy(), PeopleAi())
_BY_ID = {connector.id: connector for connector in CONNECTORS}


def get_connector(provider_id: str) -> Connector:
    """Return the connector registered under provider_id; raise KeyError if there is none."""
    return _BY_ID[provider_id]


def connectors_for(kind: str) -> list[Connector]:
    """Return the connectors that can serve kind ("source" or "destination"), in catalog order."""
    return [connector for connector in CONNECTORS if kind in connector.kinds]


def provider_choices() -> list[tuple[str, str]]:
    return [(connector.id, connector.name) for connector in CONNECTORS]
