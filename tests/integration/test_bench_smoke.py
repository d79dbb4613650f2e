"""The benchmark suite runs end to end (``python -m bench --quick``).

Tiny sizes, plait, asyncio and the bare selectors loop, one run: the point
is that every benchmark's client, server, local and worker children work
and report (TLS, processes, multicore workers and the scale rows included:
quick mode runs them all at toy sizes), and that the orchestrator writes
its JSON with a row for every benchmark.  CI's test environment has neither
Twisted nor uvloop nor matplotlib, so this test must not need them:
``--frameworks plait,asyncio,selectors`` and ``--no-plot`` (the plot code
is left to the bench environment).  Timing is the suite's business, never the tests': nothing
here looks at a duration.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from bench.catalog import BENCHES, ROWS, supports

ROOT = Path(__file__).resolve().parent.parent.parent
FRAMEWORKS = ["plait", "asyncio", "selectors"]
BY_KEY = {b.key: b for b in BENCHES}


def test_catalogIsConsistent() -> None:
    """Every row names a bench, every bench has a row, keys are unique."""
    keys = [b.key for b in BENCHES]
    assert len(keys) == len(set(keys))
    assert {r.bench for r in ROWS} <= set(keys)
    assert set(keys) <= {r.bench for r in ROWS}


@pytest.mark.slow
def test_quickSuite(tmp_path: Path) -> None:
    out = tmp_path / "bench.json"
    proc = subprocess.run(
        [sys.executable, "-m", "bench", "--quick", "--runs", "1", "--no-plot",
         "--frameworks", ",".join(FRAMEWORKS), "--json", str(out)],
        cwd=ROOT, capture_output=True, text=True, timeout=110, check=False,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    results = json.loads(out.read_text())
    assert results["frameworks"] == FRAMEWORKS
    # Quick mode runs every bench, the opt-in scale rows included.
    assert {row["workload"] for row in results["rows"]} == set(BY_KEY)
    for row in results["rows"]:
        # asyncio has no IRCClient; the bare loop has only some workloads.
        frameworks = [f for f in FRAMEWORKS if supports(f, BY_KEY[row["workload"]])]
        assert "plait" in frameworks
        assert sorted(row["frameworks"]) == sorted(frameworks), row["label"]
        for framework in frameworks:
            cell = row["frameworks"][framework]
            assert cell["errors"] == [], (row["label"], framework, cell)
            assert cell.get("skipped", []) == [], (row["label"], framework, cell)
            assert cell["n"] == 1, (row["label"], framework)
    table = results["table"]
    for label in ("| pingpong (1 core) |", "| concurrent bulk echo |", "| TLS stream |",
                  "| process spawn (getProcessOutput) |", "| scale 50k: poll cost |",
                  "| one port, 1 worker |", "| UNIX pingpong (1 core) |",
                  "| UDP echo (window 32) |"):
        assert label in table, label
    assert "Noise: load average" in table


def test_tlsFloorRuns() -> None:
    """``python -m bench.tlsfloor``, on 1 MiB: every figure it promises is printed."""
    proc = subprocess.run([sys.executable, "-m", "bench.tlsfloor", "1"], cwd=ROOT,
                          capture_output=True, text=True, timeout=60, check=False)
    assert proc.returncode == 0, proc.stderr[-3000:]
    lines = proc.stdout.splitlines()
    assert lines[0].startswith("stdlib handshake (TLS 1.3, ECDSA P-256): client ")
    assert len([line for line in lines if "plait's own cost" in line]) == 3
