"""The sample project's two test suites, and a Twisted test module, really run.

``examples/linecount_client`` (a line-protocol client with reconnection)
has its tests written twice: trial style (``tests_trial``, run by
``python -m plait.trial``, by ``python -m unittest`` and by pytest) and
pytest style (``tests_pytest``, run by pytest with plait's plugin).
``examples/trial_compat/test_trial_behaviour.py`` is a test module
written with Twisted's imports only, run through the compatibility mode;
where the real Twisted is installed it is also run by Twisted's own trial,
which must report the same totals.  Every run is a subprocess that finds
plait through PYTHONPATH.
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LINECOUNT = ROOT / "examples" / "linecount_client"
COMPAT = ROOT / "examples" / "trial_compat"
TIMEOUT = 120
TRIAL_BEHAVIOUR = "PASSED (skips=1, expectedFailures=2, successes=21)"

pytestmark = pytest.mark.slow


def run(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
        "PYTHONDONTWRITEBYTECODE": "1",
    }
    return subprocess.run(
        [sys.executable, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=TIMEOUT, check=False
    )


def test_trialStyleSuiteUnderPlaitTrial(tmp_path: Path) -> None:
    proc = run(LINECOUNT, "-m", "plait.trial", "--temp-directory", str(tmp_path / "trial"), "tests_trial")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.endswith("PASSED (successes=16)\n"), proc.stdout
    assert "  OverTCPTests\n    test_countsReturningADeferred ..." in proc.stdout


def test_trialStyleSuiteUnderUnittest() -> None:
    proc = run(LINECOUNT, "-m", "unittest", "discover", "-s", "tests_trial", "-t", ".")
    assert proc.returncode == 0, proc.stderr
    assert "Ran 16 tests" in proc.stderr and proc.stderr.rstrip().endswith("OK")


def test_trialStyleSuiteUnderPytest() -> None:
    proc = run(LINECOUNT, "-m", "pytest", "-p", "plait.pytest_plugin", "tests_trial")
    assert proc.returncode == 0, proc.stdout
    assert "16 passed" in proc.stdout


def test_pytestStyleSuite() -> None:
    proc = run(LINECOUNT, "-m", "pytest", "-p", "plait.pytest_plugin", "-v")
    assert proc.returncode == 0, proc.stdout
    assert "10 passed" in proc.stdout
    assert "test_client.py::test_reconnects PASSED" in proc.stdout


def test_twistedStyleModuleThroughCompatibilityMode(tmp_path: Path) -> None:
    proc = run(
        COMPAT, "-m", "plait.compat", "-m", "plait.trial", "--temp-directory", str(tmp_path / "trial"),
        "test_trial_behaviour",
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.endswith(TRIAL_BEHAVIOUR + "\n"), proc.stdout


@pytest.mark.skipif(importlib.util.find_spec("twisted") is None, reason="the real Twisted is not installed")
def test_twistedsOwnTrialAgrees(tmp_path: Path) -> None:
    """The module is a faithful Twisted test module: Twisted's trial reports the same."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    proc = subprocess.run(
        [sys.executable, "-m", "twisted.trial", "--temp-directory", str(tmp_path / "trial"), "test_trial_behaviour"],
        cwd=COMPAT, env=env, capture_output=True, text=True, timeout=TIMEOUT, check=False,
    )
    assert proc.stdout.rstrip().endswith(TRIAL_BEHAVIOUR), proc.stdout + proc.stderr
