"""The README's promises about commands hold, without running them.

* It opens with exactly two commands, and each makes or reuses a project
  virtual environment and installs only into it (a distribution's own
  ``python3`` refuses ``pip install``: PEP 668).
* ``.ci/run`` runs those two commands as written, the test command last.
* Every ``python3 examples/X.py`` and ``python3 -m plait.X`` named in the
  README, the docs and the examples names a file or module that exists, and
  no page says ``python`` where the others say ``python3``.

(tests/integration/test_doc_samples.py runs the pages' programs themselves;
the commands were also run from a fresh clone, see the issue-18 report.)
"""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
PAGES = sorted([README, *ROOT.glob("docs/**/*.md"), *ROOT.glob("examples/**/*.md")])
EXAMPLE_SOURCES = sorted(ROOT.glob("examples/**/*.py"))


def readmeCommands() -> list[str]:
    match = re.match(r"# plait\n\n```sh\n(.*?)\n```\n", README.read_text(), re.DOTALL)
    assert match, "README.md must open with its commands in a sh block"
    return match.group(1).splitlines()


def test_readmeOpensWithTwoCommands() -> None:
    """Exactly two commands: the demo, then the whole test suite."""
    demo, tests = readmeCommands()
    assert demo.endswith(" -m plait.demo")
    assert " -m pytest " in tests and tests.endswith("--cov=plait --cov-report=term")


@pytest.mark.parametrize("command", readmeCommands())
def test_eachCommandUsesAProjectVirtualEnvironment(command: str) -> None:
    """Each command creates or reuses .venv and installs and runs only inside it."""
    steps = command.split(" && ")
    assert steps[0] == "python3 -m venv .venv"
    for step in steps[1:]:
        assert step.startswith((".venv/bin/pip ", ".venv/bin/python ")), step
    assert ".venv/bin/pip install" in command


def test_ciRunsTheReadmeCommandsAsWritten() -> None:
    """.ci/run runs both README commands, in order, the test command as its last line."""
    lines = [line for line in (ROOT / ".ci" / "run").read_text().splitlines() if line and not line.startswith("#")]
    demo, tests = readmeCommands()
    assert lines[-1] == tests
    demoLines = [i for i, line in enumerate(lines) if line.startswith(demo)]
    assert demoLines and demoLines[0] < len(lines) - 1


def test_virtualEnvironmentIsIgnoredByGit() -> None:
    """The .venv the commands make is never committed."""
    assert ".venv/" in (ROOT / ".gitignore").read_text().splitlines()


def _mentions(pattern: str) -> list[tuple[str, str]]:
    found = set()
    for path in [*PAGES, *EXAMPLE_SOURCES]:
        for match in re.finditer(pattern, path.read_text()):
            found.add((str(path.relative_to(ROOT)), match.group(1)))
    return sorted(found)


@pytest.mark.parametrize(("page", "program"), _mentions(r"python3 (examples/[\w/]+\.py)"))
def test_namedExampleProgramsExist(page: str, program: str) -> None:
    """`python3 examples/X.py` in a page names a program that exists."""
    assert (ROOT / program).is_file(), f"{page} names {program}"


@pytest.mark.parametrize(("page", "module"), _mentions(r"python3 -m (plait(?:\.\w+)+)"))
def test_namedPlaitModulesExist(page: str, module: str) -> None:
    """`python3 -m plait.X` in a page names a module that exists."""
    assert importlib.util.find_spec(module) is not None, f"{page} names {module}"


@pytest.mark.parametrize("path", [*PAGES, *EXAMPLE_SOURCES], ids=lambda p: str(p.relative_to(ROOT)))
def test_pagesSayPython3(path: Path) -> None:
    """Commands say `python3` everywhere (the READMEs' spelling), never bare `python`."""
    # (A fence's ``python title="examples/x.py"`` is a code block, not a command.)
    bare = re.findall(r"(?<![\w/.`])python (?:-m |examples/|(?!title=)\S+\.py)", path.read_text())
    assert bare == [], f"{path.name}: {bare}"


def _publicModules() -> list[str]:
    package = ROOT / "plait"
    names = []
    for path in sorted(package.rglob("*.py")):
        parts = path.relative_to(package).with_suffix("").parts
        if any(part.startswith("_") for part in parts):
            continue  # private modules and packages' __init__
        names.append("plait." + ".".join(parts))
    return names


@pytest.mark.parametrize("module", _publicModules())
def test_moduleMapNamesEveryPublicModule(module: str) -> None:
    """The README's module map has a row for every public plait module."""
    text = README.read_text()
    section = text[text.index("## Module map") : text.index("## What is in plait")]
    assert f"`{module}`" in section, f"add a row for {module} to the README's module map"
