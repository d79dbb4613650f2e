"""Run each scenario file on plait and on Twisted 26.10, once per session.

Only in the Twisted test environment (tests/twistedenv.py): elsewhere every
test here is skipped without Twisted being imported.  A scenario file runs
as ``python file.py`` (the real Twisted) and as ``python -m plait.compat
file.py`` (plait, through the compatibility mode); each prints a JSON
object of scenario results (see scenarios/_harness.py).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.twistedenv import requireTwisted

SCENARIOS = Path(__file__).with_name("scenarios")
ROOT = Path(__file__).resolve().parents[2]
TIMEOUT = 120

_cache: dict[tuple[str, str], dict[str, Any]] = {}


def _run(implementation: str, script: Path) -> dict[str, Any]:
    command = [sys.executable, str(script)]
    if implementation == "plait":
        command = [sys.executable, "-m", "plait.compat", str(script)]
    env = dict(os.environ, PYTHONPATH=str(ROOT), PYTHONHASHSEED="0")
    result = subprocess.run(command, capture_output=True, text=True, timeout=TIMEOUT, env=env,
                            cwd=str(ROOT), check=False)
    lines = [line for line in result.stdout.splitlines() if line.startswith("{")]
    if result.returncode != 0 or not lines:
        raise AssertionError(f"{implementation} run of {script.name} failed ({result.returncode}):\n"
                             f"{result.stdout}\n{result.stderr}")
    return json.loads(lines[-1])  # type: ignore[no-any-return]


@pytest.fixture
def outcomes() -> Callable[[str], tuple[dict[str, Any], dict[str, Any]]]:
    """``outcomes("file.py")`` -> (plait's results, Twisted's results)."""
    requireTwisted()

    def get(name: str) -> tuple[dict[str, Any], dict[str, Any]]:
        script = SCENARIOS / name
        for implementation in ("plait", "twisted"):
            if (implementation, name) not in _cache:
                _cache[(implementation, name)] = _run(implementation, script)
        return _cache[("plait", name)], _cache[("twisted", name)]

    return get
