"""People.ai: sales activity data behind an X-API-Key, on one of three environments."""
from connectors.base import Choice, Connector, Setting

PRODUCTION = "https://api.people.ai/v0/public"
STAGING = "https://api-staging.people.ai/v0/public"
MOCK = "https://api-mock.people.ai/v0/public"


class PeopleAi(Connector):
    id = "peopleai"
    name = "People.ai"
    description = "Sales activity: accounts, activities and team members."
    kinds = ("source", "destination")
    key_help = "Ask your People.ai admin for an API key for the environment chosen below."
    auth_header = "X-API-Key"
    check_path = "/team-members"
    check_params = {"limit": 1}
    expected_keys = ("data",)
    settings = (
        Setting(
            name="base_url",
            label="Environment",
            # Each environment is its own host: the chosen one is where the check goes.
            offered=(
                Choice(PRODUCTION, "Production", base_url=PRODUCTION),
                Choice(STAGING, "Staging", base_url=STAGING),
                Choice(MOCK, "Mock", base_url=MOCK),
            ),
            default=PRODUCTION,
            help_text="Keys are issued per environment: pick the one your key belongs to.",
        ),
    )
    rejected_statuses = {
        401: "People.ai rejected the key for {choice} (401 Unauthorized). Keys are issued per "
        "environment: check that the Environment matches the key, or copy the key again.",
    }
