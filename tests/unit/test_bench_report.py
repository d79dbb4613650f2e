"""The benchmark suite's bookkeeping: which benches a command line selects,
and how samples become table rows, targets, notes and the README section.

No child process and no framework: synthetic samples in, rows and text out
(``bench.report`` and ``bench.run.parseArgs``).  The runs themselves are
the smoke test's business (tests/integration/test_bench_smoke.py).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bench import report
from bench.catalog import BENCHES, NCPU, sizesFor, supports
from bench.run import parseArgs


def _keys(argv: list[str]) -> set[str]:
    return {b.key for b in parseArgs(argv).benches}


def test_scaleIsOptInExceptInQuickMode() -> None:
    scale = {b.key for b in BENCHES if b.workload == "scale"}
    assert scale == {"scale-1k", "scale-10k", "scale-50k"}
    assert not _keys([]) & scale
    assert _keys(["--scale"]) >= scale
    assert _keys(["--quick"]) >= scale
    assert _keys(["--only", "scale"]) == scale


def test_onlyAcceptsGroupsWorkloadsAndKeys() -> None:
    assert _keys(["--only", "tls"]) == {"tls-stream", "tls-churn-1core", "tls-pingpong-1core",
                                        "tls-fanin"}
    assert _keys(["--only", "process"]) == {"spawn", "procstream"}
    assert _keys(["--only", "bulk"]) == {"bulk", "bulk-1proc"}
    assert _keys(["--only", "multicore-1,stream"]) == {"multicore-1", "stream", "tls-stream"}
    assert _keys(["--only", "unix"]) == {"unix-pingpong", "unix-pingpong-1core"}
    assert _keys(["--only", "udp"]) == {"udp", "udp-1core"}
    assert {"unix-pingpong", "udp"} <= _keys(["--only", "pingpong,udp"])


def test_sizesMergeWorkloadExtraAndOverrides() -> None:
    tlsStream = next(b for b in BENCHES if b.key == "tls-stream")
    full = sizesFor(tlsStream, "full")
    assert full["transport"] == "tls"
    assert full["total"] == 128 * 2**20  # the bench's override
    assert full["chunk"] == 64 * 2**10  # the workload's size
    assert sizesFor(tlsStream, "quick")["total"] == 2**20
    unix = next(b for b in BENCHES if b.key == "unix-pingpong-1core")
    assert sizesFor(unix, "full")["transport"] == "unix" and unix.pin
    assert sizesFor(unix, "full")["rounds"] == 50_000  # the TCP pingpong's sizes
    udp = next(b for b in BENCHES if b.key == "udp")
    assert sizesFor(udp, "quick")["window"] == sizesFor(udp, "full")["window"] == 32
    many = next(b for b in BENCHES if b.key == f"multicore-{NCPU}")
    assert sizesFor(many, "full")["workers"] == NCPU


def test_whichFrameworksRunWhat() -> None:
    byKey = {b.key: b for b in BENCHES}
    assert supports("selectors", byKey["pingpong"])
    assert not supports("selectors", byKey["tls-stream"])
    assert not supports("asyncio", byKey["irc"])
    assert supports("asyncio", byKey["spawn"])
    assert not supports("selectors", byKey["import"])
    for key in ("unix-pingpong", "unix-pingpong-1core", "udp", "udp-1core"):
        assert all(supports(fw, byKey[key])
                   for fw in ("plait", "twisted", "asyncio", "uvloop", "selectors"))


def _samples(values: dict[str, list[Any]], bench: str = "bulk",
             metric: str = "rate") -> dict[str, dict[str, list[dict[str, Any]]]]:
    out: dict[str, list[dict[str, Any]]] = {}
    for fw, runs in values.items():
        out[fw] = [r if isinstance(r, dict) else {metric: r} for r in runs]
    return {bench: out}


def test_rowsGiveMedianRangeRatioAndTarget() -> None:
    rows = report.buildRows(_samples({"plait": [3e8, 4e8, 5e8], "twisted": [2e8, 3e8, 4e8]}),
                            ["plait", "twisted"])
    row = next(r for r in rows if r["label"] == "concurrent bulk echo")
    plait = row["frameworks"]["plait"]
    assert (plait["median"], plait["min"], plait["max"], plait["n"]) == (400.0, 300.0, 500.0, 3)
    assert abs(plait["ratio"] - 400 / 300) < 1e-9
    assert row["target"] == 1.3 and row["met"] is True
    text = report.table(rows, ["plait", "twisted"])
    assert "| concurrent bulk echo | MB/s | 400 (300–500) **1.33×** | 300 (200–400) | ≥ 1.3× | ✓ |" in text


def test_unixAndUdpRowsCarryTheIssueTarget() -> None:
    samples = {"udp": {"plait": [{"rate": 150.0}], "twisted": [{"rate": 100.0}]},
               "unix-pingpong-1core": {"plait": [{"rate": 140.0}], "twisted": [{"rate": 100.0}]}}
    rows = {r["label"]: r for r in report.buildRows(samples, ["plait", "twisted"])}
    assert rows["UDP echo (window 32)"]["target"] == 1.5
    assert rows["UDP echo (window 32)"]["met"] is True
    assert rows["UNIX pingpong (1 core)"]["met"] is False


def test_absoluteTargetIsCheckedOnPlaitsOwnValue() -> None:
    # 0.3× Twisted would meet a ratio target of 0.5×; 0.6 KiB misses the 0.5 KiB bound.
    samples = _samples({"plait": [0.6], "twisted": [2.0]}, "scale-1k", "server_kib_per_conn")
    row = next(r for r in report.buildRows(samples, ["plait", "twisted"])
               if r["metric"] == "server_kib_per_conn")
    assert abs(row["frameworks"]["plait"]["ratio"] - 0.3) < 1e-9
    assert row["absolute_target"] == 0.5 and row["met"] is False
    assert "≤ 0.5 KiB" in report.table([row], ["plait", "twisted"])


def test_skippedAndFailedRunsAreShownAndExplained() -> None:
    why = "no descriptors"
    samples = _samples({"plait": [{"skipped": why}], "twisted": [{"error": "boom"}]}, "scale-50k",
                       "connect_rate")
    rows = report.buildRows(samples, ["plait", "twisted"])
    text = report.table(rows, ["plait", "twisted"])
    assert "| scale 50k: connect | connections/s | skipped | error |" in text
    assert report.skippedNotes(samples) == [f"Skipped scale-50k: {why}"]


def test_scalingRowDividesEachFrameworksMedians() -> None:
    samples = {"multicore-1": {"plait": [{"rate": 100.0}], "twisted": [{"rate": 50.0}]},
               f"multicore-{NCPU}": {"plait": [{"rate": 180.0}], "twisted": [{"rate": 60.0}]}}
    rows = report.buildRows(samples, ["plait", "twisted"])
    scaling = next(r for r in rows if r["metric"] == "scaling")
    assert scaling["frameworks"]["plait"]["median"] == 1.8
    assert scaling["frameworks"]["twisted"]["median"] == 1.2
    assert abs(scaling["frameworks"]["plait"]["ratio"] - 1.5) < 1e-9


def test_noiseNoteNamesTheLoadAndTheWorstSpread() -> None:
    rows = report.buildRows(_samples({"plait": [1e8, 2e8], "twisted": [1e8, 1.1e8]}),
                            ["plait", "twisted"])
    info = {"loadavg_start": [0.5, 0.4, 0.3], "loadavg_end": [1.5, 0.6, 0.4]}
    note = report.noiseNote(rows, info, 2)
    assert "load average 0.50, 0.40, 0.30 at the start, 1.50, 0.60, 0.40 at the end" in note
    assert "67% at worst (concurrent bulk echo, plait)" in note


def test_readmeSectionIsReplacedBetweenTheMarkers(tmp_path: Path) -> None:
    readme = tmp_path / "README.md"
    readme.write_text("intro\n<!-- bench-table-start -->\nold\n<!-- bench-table-end -->\nrest\n")
    report.updateReadme("new table", readme)
    assert readme.read_text() == ("intro\n<!-- bench-table-start -->\nnew table\n"
                                  "<!-- bench-table-end -->\nrest\n")


def test_rerenderRebuildsASavedRunWithTodaysTargets(tmp_path: Path, capsys: Any) -> None:
    """``--rerender``: a saved run's samples, machine and command, today's catalog targets."""
    import json

    from bench.run import main

    machine = report.machine()
    machine.update(date="2026-12-04T09:00:00+00:00", loadavg_end=[0.2, 0.2, 0.2], duration_s=1.0)
    saved = tmp_path / "run.json"
    saved.write_text(json.dumps({
        "command": "python -m bench --only timers", "mode": "full", "runs": 1,
        "machine": machine,
        "frameworks": ["plait", "twisted"], "unavailable": {},
        "sizes": {"timers": {}},
        "samples": {"timers": {"plait": [{"rate": 340.0}], "twisted": [{"rate": 100.0}]}},
    }))
    out = tmp_path / "again.json"
    assert main(["--rerender", str(saved), "--json", str(out), "--no-plot"]) == 0
    again = json.loads(out.read_text())
    assert again["command"] == "python -m bench --only timers"
    assert again["samples"] == {"timers": {"plait": [{"rate": 340.0}], "twisted": [{"rate": 100.0}]}}
    (row,) = [r for r in again["rows"] if r["label"] == "timers"]
    assert row["target"] == 3.3 and row["met"] is True
    assert "| ≥ 3.3× | ✓ |" in capsys.readouterr().out
