"""Providers and their settings, with a JSON Schema of each provider's settings object."""
from ninja import Router

from connectors.registry import CONNECTORS, get_connector
from credentials_app.api.auth import READ
from credentials_app.api.problems import problem_responses
from credentials_app.api.schemas import ProviderOut
from django.http import Http404

router = Router(tags=["providers"])


def settings_schema(connector) -> dict:
    """Return the JSON Schema a create request's settings must match for connector."""
    return {
        "type": "object",
        "additionalProperties": False,
        "properties": {
            setting.name: {
                "title": setting.label,
                "description": setting.help_text,
                "enum": [value for value, _label in setting.choices],
                "default": setting.default,
            }
            for setting in connector.settings
        },
    }


def provider_out(connector) -> dict:
    return {
        "id": connector.id,
        "name": connector.name,
        "description": connector.description,
        "kinds": list(connector.kinds),
        "key_label": connector.key_label,
        "key_help": connector.key_help,
        "settings": [
            {
                "name": setting.name, "label": setting.label, "default": setting.default, "help_text": setting.help_text,
                "choices": [{"value": value, "label": label} for value, label in setting.choices],
            }
            for setting in connector.settings
        ],
        "settings_schema": settings_schema(connector),
    }


@router.get("/", response={200: list[ProviderOut], **problem_responses()}, auth=READ)
def list_providers(request):
    """List every provider a credential can be created for, in catalog order."""
    return [provider_out(connector) for connector in CONNECTORS]


@router.get("/{provider_id}", response={200: ProviderOut, **problem_responses(404)}, auth=READ)
def get_provider(request, provider_id: str):
    try:
        return provider_out(get_connector(provider_id))
    except KeyError:
        raise Http404("No such provider.") from None
