"""The benchmark suite runs end to end (``python -m bench --quick``).

Tiny sizes, plait and asyncio only, one run: the point is that every
workload's client, server and local child work and report, and that the
orchestrator writes its JSON with a row for every workload.  Timing is the
suite's business, never the tests': nothing here looks at a duration.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent.parent
BENCHES = [
    "pingpong", "pingpong-1core", "stream", "churn", "churn-1core", "fanin",
    "fanin-1core", "timers", "deferred", "deferred-nogc", "irc", "import",
]
TWISTED_API_ONLY = {"irc"}  # asyncio has no IRCClient: plait (and Twisted) only


@pytest.mark.slow
def test_quickSuite(tmp_path: Path) -> None:
    out = tmp_path / "bench.json"
    proc = subprocess.run(
        [sys.executable, "-m", "bench", "--quick", "--runs", "1",
         "--frameworks", "plait,asyncio", "--json", str(out)],
        cwd=ROOT, capture_output=True, text=True, timeout=30, check=False,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    results = json.loads(out.read_text())
    assert results["frameworks"] == ["plait", "asyncio"]
    assert {row["workload"] for row in results["rows"]} == set(BENCHES)
    for row in results["rows"]:
        frameworks = ("plait",) if row["workload"] in TWISTED_API_ONLY else ("plait", "asyncio")
        assert sorted(row["frameworks"]) == sorted(frameworks), row["label"]
        for framework in frameworks:
            cell = row["frameworks"][framework]
            assert cell["errors"] == [], (row["label"], framework, cell)
            assert cell["n"] == 1, (row["label"], framework)
    assert "| pingpong (1 core) |" in results["table"]
