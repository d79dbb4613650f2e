"""Each scenario gives the same observations on plait as on Twisted 26.10.

The scenarios (scenarios/*.py) are Twisted programs; see conftest.py for
how they run.  A difference is either fixed in plait or documented in
docs/differences.md and normalised away inside the scenario (with a
comment saying which documented difference it is).
"""

from __future__ import annotations

import ast
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

SCENARIOS = Path(__file__).with_name("scenarios")


def _scenarioNames(path: Path) -> list[str]:
    """The names of the ``@scenario`` functions of a file, read without running it."""
    tree = ast.parse(path.read_text())
    return [
        node.name for node in tree.body
        if isinstance(node, ast.FunctionDef)
        and any(isinstance(d, ast.Name) and d.id == "scenario" for d in node.decorator_list)
    ]


CASES = [
    (path.name, name)
    for path in sorted(SCENARIOS.glob("*.py")) if not path.name.startswith("_")
    for name in _scenarioNames(path)
]


@pytest.mark.parametrize(("fileName", "scenario"), CASES)
def test_sameAsTwisted(
    outcomes: Callable[[str], tuple[dict[str, Any], dict[str, Any]]], fileName: str, scenario: str
) -> None:
    plait, twisted = outcomes(fileName)
    assert scenario in twisted, f"{scenario} did not run on Twisted"
    assert "exception" not in (twisted[scenario] if isinstance(twisted[scenario], dict) else {}), (
        f"the scenario itself failed on Twisted: {twisted[scenario]}")
    assert plait.get(scenario) == twisted[scenario]


def test_everyFileHasScenarios() -> None:
    assert len(CASES) >= 30
