"""People.ai: sales activity data behind an X-API-Key, on one of three environments."""
from collections.abc import Mapping

from connectors.base import Connector, Outcome, Setting, ValidationResult

PRODUCTION = "https://api.people.ai/v0/public"
STAGING = "https://api-staging.people.ai/v0/public"
MOCK = "https://api-mock.people.ai/v0/public"


class PeopleAi(Connector):
    id = "peopleai"
    name = "People.ai"
    description = "Sales activity: accounts, activities and team members."
    kinds = ("source", "destination")
    key_help = "Ask your People.ai admin for an API key for the environment chosen below."
    base_urls = (PRODUCTION, STAGING, MOCK)
    auth_header = "X-API-Key"
    check_path = "/team-members"
    check_params = {"limit": 1}
    expected_keys = ("data",)
    settings = (
        Setting(
            name="base_url",
            label="Base URL",
            choices=((PRODUCTION, "Production"), (STAGING, "Staging"), (MOCK, "Mock")),
            default=PRODUCTION,
            help_text="Keys are issued per environment: pick the one your key belongs to.",
        ),
    )
    rejected_statuses = {401: "People.ai rejected the key (401 Unauthorized)."}

    def base_url(self, options: Mapping[str, str]) -> str:
        return self.settings[0].clean(options.get("base_url"))

    def rejected(self, status: int, options: Mapping[str, str]) -> ValidationResult:
        environment = self.settings[0].label_for(self.base_url(options))
        return ValidationResult(
            Outcome.REJECTED,
            f"People.ai rejected the key for {environment} (401 Unauthorized). Keys are issued per "
            "environment: check that the Base URL matches the key, or copy the key again.",
            status,
            field="base_url",
        )
