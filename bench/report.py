"""Turn a run's samples into the table, its header, the note on noise and the README.

What it owns: summarising samples (median, min-max, ratio of medians to
Twisted's), the target check, the derived "B ÷ A" scaling rows, the
Markdown table, the header describing the machine and the run, the note on
noise computed from the run's own spread, and replacing the table section
of ``bench/README.md``.  No framework, no plotting library: the smoke test
imports it in an environment that has neither.
"""

from __future__ import annotations

import os
import platform
import ssl
import statistics
import subprocess
from pathlib import Path
from typing import Any

from bench.catalog import LABELS, ROWS, SCALING, UNIT_SCALE

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "bench" / "README.md"


# ---------------------------------------------------------------- the machine


def machine() -> dict[str, Any]:
    """What the run ran on: CPUs, memory, OS, Python, library versions, load."""
    from importlib import metadata

    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = None
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                memory = int(line.split()[1]) * 1024
                break
    except (OSError, ValueError, IndexError):
        pass
    versions: dict[str, str | None] = {}
    for dist in ("twisted", "pyOpenSSL", "uvloop", "zope.interface"):
        try:
            versions[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            versions[dist] = None
    versions["plait"] = _plaitVersion()
    versions["OpenSSL"] = ssl.OPENSSL_VERSION
    return {
        "nproc": os.cpu_count(),
        "cpu": cpu,
        "memory_bytes": memory,
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "platform": platform.platform(),
        "versions": versions,
        "loadavg_start": list(os.getloadavg()),
    }


def _plaitVersion() -> str | None:
    init = ROOT / "plait" / "__init__.py"
    version = None
    try:
        for line in init.read_text().splitlines():
            if line.startswith("__version__"):
                version = line.split("=", 1)[1].strip().strip("\"'")
    except OSError:
        return None
    head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT,
                          capture_output=True, text=True, check=False)
    if head.returncode == 0 and version:
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"],
                               cwd=ROOT, capture_output=True, text=True, check=False)
        version += f" (tree at {head.stdout.strip()}"
        version += " + working changes)" if dirty.stdout.strip() else ")"
    return version


def describeMachine(info: dict[str, Any]) -> str:
    """One line: CPUs, memory, OS, Python and the libraries compared."""
    v = info["versions"]
    memory = info.get("memory_bytes")
    mem = f", {memory / 2**30:.0f} GiB" if memory else ""
    return (
        f"{info['nproc']} CPUs ({info['cpu']}){mem}, {info['platform']}; "
        f"Python {info['python']}; Twisted {v.get('twisted')} (pyOpenSSL {v.get('pyOpenSSL')}), "
        f"uvloop {v.get('uvloop')}, zope.interface {v.get('zope.interface')}, "
        f"{v.get('OpenSSL')}; plait {v.get('plait')}"
    )


# ---------------------------------------------------------------- rows


def summarize(values: list[float], scale: float) -> dict[str, Any]:
    scaled = [v * scale for v in values]
    return {"median": statistics.median(scaled), "min": min(scaled),
            "max": max(scaled), "n": len(scaled)}


def _cells(runs: list[dict[str, Any]], metric: str, scale: float) -> dict[str, Any]:
    good = [r[metric] for r in runs if "error" not in r and "skipped" not in r and metric in r]
    cell: dict[str, Any] = {
        "errors": [r["error"] for r in runs if "error" in r],
        "skipped": [r["skipped"] for r in runs if "skipped" in r],
    }
    if good:
        cell.update(summarize(good, scale))
    return cell


def buildRows(samples: dict[str, dict[str, list[dict[str, Any]]]],
              frameworks: list[str]) -> list[dict[str, Any]]:
    """Every table row the samples allow, in ``ROWS`` order, then the scaling rows."""
    rows = []
    for row in ROWS:
        if row.bench not in samples:
            continue
        scale = UNIT_SCALE.get(row.unit, 1.0)
        cells = {fw: _cells(samples[row.bench][fw], row.metric, scale)
                 for fw in frameworks if fw in samples[row.bench]}
        if not any("median" in c or c["errors"] or c["skipped"] for c in cells.values()):
            continue
        _ratios(cells)
        met = None
        plait = cells.get("plait", {})
        if row.target is not None and plait.get("ratio") is not None:
            r = plait["ratio"]
            met = r >= row.target if row.higherIsBetter else r <= row.target
        if row.absoluteTarget is not None and plait.get("median") is not None:
            m = plait["median"]
            met = m >= row.absoluteTarget if row.higherIsBetter else m <= row.absoluteTarget
        rows.append({
            "workload": row.bench, "metric": row.metric, "label": row.label,
            "unit": row.unit, "higher_is_better": row.higherIsBetter,
            "target": row.target, "absolute_target": row.absoluteTarget,
            "met": met, "frameworks": cells,
        })
    rows += _scalingRows(rows)
    return rows


def _ratios(cells: dict[str, Any]) -> None:
    ref = cells.get("twisted", {}).get("median")
    for cell in cells.values():
        if ref and "median" in cell:
            cell["ratio"] = cell["median"] / ref


def _scalingRows(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """"B ÷ A" of each framework's medians, for each ``SCALING`` pair that ran."""
    byBench = {(r["workload"], r["metric"]): r for r in rows}
    out = []
    for one, many, label in SCALING:
        a, b = byBench.get((one, "rate")), byBench.get((many, "rate"))
        if a is None or b is None:
            continue
        cells = {}
        for fw, cellB in b["frameworks"].items():
            cellA = a["frameworks"].get(fw, {})
            if "median" in cellA and "median" in cellB and cellA["median"]:
                factor = cellB["median"] / cellA["median"]
                cells[fw] = {"median": factor, "min": factor, "max": factor, "n": 1,
                             "errors": [], "skipped": [], "single": True}
        _ratios(cells)
        out.append({"workload": many, "metric": "scaling", "label": label, "unit": "×",
                    "higher_is_better": True, "target": None, "absolute_target": None,
                    "met": None, "frameworks": cells})
    return out


# ---------------------------------------------------------------- Markdown


def _num(v: float) -> str:
    if v >= 1000:
        return f"{v:,.0f}"
    if v >= 100:
        return f"{v:.0f}"
    if v >= 10:
        return f"{v:.1f}"
    return f"{v:.2f}"


def _cell(cell: dict[str, Any] | None, isRef: bool) -> str:
    if cell is None:
        return "–"
    if "median" not in cell:
        return "skipped" if cell["skipped"] and not cell["errors"] else "error"
    if cell.get("single"):
        text = f"{_num(cell['median'])}"
    else:
        text = f"{_num(cell['median'])} ({_num(cell['min'])}–{_num(cell['max'])})"
    if "ratio" in cell and not isRef:
        text += f" **{cell['ratio']:.2f}×**"
    if cell["errors"]:
        text += f" [{len(cell['errors'])} failed]"
    if cell["skipped"]:
        text += f" [{len(cell['skipped'])} skipped]"
    return text


def _targetText(row: dict[str, Any]) -> str:
    sign = "≥ " if row["higher_is_better"] else "≤ "
    if row["target"] is not None:
        return sign + f"{row['target']}×"
    if row.get("absolute_target") is not None:
        return sign + f"{row['absolute_target']} {row['unit']}"
    return ""


def table(rows: list[dict[str, Any]], frameworks: list[str]) -> str:
    head = ["workload", "unit"] + [LABELS[f] for f in frameworks] + ["target (plait)", "met"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for row in rows:
        cells = [_cell(row["frameworks"].get(f), f == "twisted") for f in frameworks]
        met = {True: "✓", False: "✗", None: ""}[row["met"]]
        lines.append("| " + " | ".join([row["label"], row["unit"]] + cells
                                       + [_targetText(row), met]) + " |")
    return "\n".join(lines)


def skippedNotes(samples: dict[str, dict[str, list[dict[str, Any]]]]) -> list[str]:
    """One line per distinct reason a bench was skipped."""
    notes: dict[str, set[str]] = {}
    for bench, byFramework in samples.items():
        for runs in byFramework.values():
            for r in runs:
                if "skipped" in r:
                    notes.setdefault(r["skipped"], set()).add(bench)
    return [f"Skipped {', '.join(sorted(b))}: {why}" for why, b in notes.items()]


def noiseNote(rows: list[dict[str, Any]], info: dict[str, Any], runs: int) -> str:
    """How far to trust the ratios: the run's own spread and the load around it."""
    spreads = []
    for row in rows:
        for fw, cell in row["frameworks"].items():
            if cell.get("median") and cell.get("n", 0) > 1 and not cell.get("single"):
                spreads.append(((cell["max"] - cell["min"]) / cell["median"], row["label"], fw))
    start = ", ".join(f"{x:.2f}" for x in info["loadavg_start"])
    end = ", ".join(f"{x:.2f}" for x in info.get("loadavg_end", info["loadavg_start"]))
    text = f"Noise: load average {start} at the start, {end} at the end"
    if spreads:
        spreads.sort()
        worst = spreads[-1]
        median = statistics.median(s for s, _, _ in spreads)
        text += (f"; spread (max − min) / median over the {runs} runs: "
                 f"{median:.0%} typical, {worst[0]:.0%} at worst "
                 f"({worst[1]}, {LABELS[worst[2]]})")
    text += (". A ratio within about 0.1 of its target, or with a spread over 10%, "
             "needs a quieter machine or more `--runs` before it means anything.")
    return text


def header(info: dict[str, Any], command: str, runs: int) -> str:
    return (
        f"Machine: {describeMachine(info)}.  \n"
        f"Run {info['date']}: {runs} runs each, interleaved, {info.get('duration_s', 0):.0f} s.  \n"
        f"Command: `{command}`  \n"
        "Cells: median (min–max) over the runs, **ratio of medians to Twisted**."
    )


def updateReadme(text: str, readme: Path = README) -> None:
    """Replace what is between the README's table markers with ``text``."""
    start, end = "<!-- bench-table-start -->", "<!-- bench-table-end -->"
    current = readme.read_text()
    if start not in current or end not in current:
        raise SystemExit(f"{readme} has no {start} ... {end} section")
    before, rest = current.split(start, 1)
    _, after = rest.split(end, 1)
    readme.write_text(before + start + "\n" + text + "\n" + end + after)
