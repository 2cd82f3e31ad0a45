"""Run axe-core (from npm, pinned in package-lock.json) on a page and return its serious problems."""
from pathlib import Path

import pytest

AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
SERIOUS = ("serious", "critical")


def serious_violations(page) -> list[str]:
    """Return one line per serious or critical axe violation on page: rule, impact and the elements."""
    if not AXE.is_file():
        pytest.fail(f"axe-core is missing ({AXE}): run `make test`, which installs it with npm.")
    page.add_script_tag(path=str(AXE))
    # Once the page is still (at most 2 s): an overlay fading in has its text's contrast measured half-way otherwise.
    page.evaluate("""() => Promise.race([
        Promise.allSettled(document.getAnimations()
            .filter(a => a.effect?.getTiming().iterations !== Infinity).map(a => a.finished)),
        new Promise(resolve => setTimeout(resolve, 2000)),
    ])""")
    result = page.evaluate("() => axe.run(document, {resultTypes: ['violations']})")
    return [
        f"{violation['id']} ({violation['impact']}): {violation['help']} at "
        + ", ".join(" ".join(node["target"]) for node in violation["nodes"][:5])
        for violation in result["violations"]
        if violation["impact"] in SERIOUS
    ]
