"""Run every workload for every framework, interleaved, and print the table.

Usage (from the repository root)::

    python -m bench [--runs N] [--only W[,W..]] [--frameworks F[,F..]]
                    [--quick] [--json PATH] [--readme] [--profile DIR]

For each benchmark, runs go framework by framework in turn (A B C D A B C D
...), so slow drifts of the machine hit every framework alike.  Network
workloads start the server and the client as two child processes (see
``bench/common.py``); the client measures itself and reports through stdout.
The table gives, per framework, the median, min-max and the ratio of the
medians to Twisted's, and the issue's target for plait with a check mark.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import select
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
PYCACHE = Path(tempfile.gettempdir()) / "plait-bench-pycache"
README = ROOT / "bench" / "README.md"
KiB = 1024
MiB = 1024 * KiB

FRAMEWORKS = ["plait", "twisted", "asyncio", "uvloop", "selectors"]
LABELS = {
    "plait": "plait",
    "twisted": "Twisted",
    "asyncio": "asyncio",
    "uvloop": "uvloop",
    "selectors": "selectors (bare)",
}
MODULES = {
    "plait": "bench.impl_plait",
    "twisted": "bench.impl_twisted",
    "asyncio": "bench.impl_asyncio",
    "uvloop": "bench.impl_asyncio",
    "selectors": "bench.baseline_selectors",
}
IMPORTS = {
    "plait": "from plait import reactor; from plait import protocol, endpoints",
    "twisted": "from twisted.internet import reactor; "
    "from twisted.internet import protocol, endpoints",
    "asyncio": "import asyncio",
    "uvloop": "import uvloop, asyncio",
}
BARE_WORKLOADS = {"pingpong", "churn", "fanin", "timers"}
# Workloads of Twisted's own API beyond the reactor (asyncio has no IRCClient).
TWISTED_API_WORKLOADS = {"irc"}

SIZES = {
    "full": {
        "pingpong": {"rounds": 50_000, "size": 64, "connections": 1, "sequential": True},
        "stream": {"total": 512 * MiB, "chunk": 64 * KiB, "connections": 1},
        "churn": {"rounds": 1, "size": 32, "connections": 5_000, "sequential": True},
        "fanin": {"rounds": 20, "size": 64, "connections": 1_000, "sequential": False},
        "timers": {"count": 200_000, "max_delay": 0.1, "seed": 20240605},
        "deferred": {"count": 200_000},
        "irc": {"repeat": 20},
        "import": {},
    },
    "quick": {
        "pingpong": {"rounds": 200, "size": 64, "connections": 1, "sequential": True},
        "stream": {"total": 1 * MiB, "chunk": 64 * KiB, "connections": 1},
        "churn": {"rounds": 1, "size": 32, "connections": 20, "sequential": True},
        "fanin": {"rounds": 2, "size": 64, "connections": 10, "sequential": False},
        "timers": {"count": 1_000, "max_delay": 0.1, "seed": 20240605},
        "deferred": {"count": 1_000},
        "irc": {"repeat": 1},
        "import": {},
    },
}
BACKLOG = 2048
TIMEOUT = {"full": 180.0, "quick": 20.0}


@dataclass
class Bench:
    """One row group of the table: a workload run one particular way."""

    key: str
    workload: str
    title: str
    pin: bool = False
    extra: dict[str, Any] = field(default_factory=dict)


BENCHES = [
    Bench("pingpong", "pingpong", "pingpong"),
    Bench("pingpong-1core", "pingpong", "pingpong (1 core)", pin=True),
    Bench("stream", "stream", "stream"),
    Bench("churn", "churn", "churn"),
    Bench("churn-1core", "churn", "churn (1 core)", pin=True),
    Bench("fanin", "fanin", "fanin"),
    Bench("fanin-1core", "fanin", "fanin (1 core)", pin=True),
    Bench("timers", "timers", "timers"),
    Bench("deferred", "deferred", "deferred", extra={"gc": True}),
    Bench("deferred-nogc", "deferred", "deferred (gc off)", extra={"gc": False}),
    Bench("irc", "irc", "IRC parsing"),
    Bench("import", "import", "import"),
]


@dataclass
class Row:
    """One line of the table: a metric of a bench."""

    bench: str
    metric: str
    label: str
    unit: str
    higherIsBetter: bool = True
    target: float | None = None  # plait's ratio to Twisted must reach this


ROWS = [
    Row("pingpong", "rate", "pingpong", "round trips/s"),
    Row("pingpong-1core", "rate", "pingpong (1 core)", "round trips/s", target=1.6),
    Row("stream", "rate", "stream", "MB/s", target=1.0),
    Row("churn", "rate", "churn", "connections/s"),
    Row("churn-1core", "rate", "churn (1 core)", "connections/s", target=1.6),
    Row("fanin", "rate", "fanin", "round trips/s", target=1.6),
    Row("fanin-1core", "rate", "fanin (1 core)", "round trips/s", target=1.6),
    Row("fanin", "server_rss_kib", "fanin server peak RSS", "MiB", False),
    Row("fanin", "client_rss_kib", "fanin client peak RSS", "MiB", False),
    Row("fanin", "server_kib_per_conn", "fanin server RSS per connection", "KiB",
        False, target=0.5),
    Row("timers", "rate", "timers", "calls/s", target=2.5),
    Row("deferred", "rate", "deferred", "Deferreds/s", target=1.3),
    Row("deferred-nogc", "rate", "deferred (gc off)", "Deferreds/s", target=1.3),
    Row("irc", "rate", "IRC parsing (busy channel)", "messages/s", target=2.0),
    Row("import", "seconds", "import time", "ms", False, target=0.4),
    Row("import", "rss_kib", "import peak RSS", "MiB", False),
]
SCALE = {"MB/s": 1e-6, "MiB": 1 / 1024, "ms": 1e3}


class SampleError(Exception):
    """One run of one framework failed; the message says how."""


# ---------------------------------------------------------------- children


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(
        p for p in (str(ROOT), env.get("PYTHONPATH", "")) if p
    )
    env.pop("PYTHONASYNCIODEBUG", None)
    env.pop("PYTHONDEVMODE", None)
    # Bytecode caching on, as for any installed package: without it (the
    # environment may set PYTHONDONTWRITEBYTECODE), plait's sources would be
    # compiled at every start while Twisted's installed .pyc files are used.
    # The cache lives outside the source tree; ``probe`` warms it.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPYCACHEPREFIX"] = str(PYCACHE)
    return env


def _command(framework: str, spec: dict[str, Any], profile: Path | None) -> list[str]:
    cmd = [sys.executable]
    if profile is not None:
        cmd += ["-m", "cProfile", "-o", str(profile)]
    return cmd + ["-m", MODULES[framework], json.dumps(spec)]


class Child:
    """A child process with its stderr in a temporary file."""

    def __init__(self, cmd: list[str]) -> None:
        self.err = tempfile.TemporaryFile()  # noqa: SIM115 (closed in close())
        self.proc = subprocess.Popen(
            cmd, cwd=ROOT, env=_env(), stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE, stderr=self.err, text=True,
        )

    def readLine(self, timeout: float) -> str:
        """The next stdout line, or raise if none comes in time."""
        assert self.proc.stdout is not None
        ready, _, _ = select.select([self.proc.stdout], [], [], timeout)
        if not ready:
            raise SampleError(f"no output within {timeout:.0f} s")
        return self.proc.stdout.readline()

    def finish(self, timeout: float) -> dict[str, Any]:
        """Wait for exit; return the report (the last stdout line)."""
        try:
            out, _ = self.proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            raise SampleError(f"still running after {timeout:.0f} s; killed") from None
        if self.proc.returncode != 0:
            raise SampleError(f"exit {self.proc.returncode}: {self.stderr()}")
        lines = out.strip().splitlines()
        if not lines:
            raise SampleError(f"no report: {self.stderr()}")
        return json.loads(lines[-1])

    def stderr(self) -> str:
        self.err.seek(0)
        text = self.err.read().decode(errors="replace").strip()
        return text[-600:] or "(no stderr)"

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()

    def close(self) -> None:
        self.kill()
        if self.proc.stdout is not None:
            self.proc.stdout.close()
        self.err.close()


def _profilePath(opts: Any, bench: Bench, framework: str, role: str, run: int) -> Path | None:
    if opts.profile is None:
        return None
    opts.profile.mkdir(parents=True, exist_ok=True)
    return opts.profile / f"{bench.key}-{framework}-{role}-{run}.prof"


def runNetwork(bench: Bench, framework: str, opts: Any, run: int) -> dict[str, Any]:
    sizes = SIZES[opts.mode][bench.workload]
    timeout = TIMEOUT[opts.mode]
    base = {"workload": bench.workload, "framework": framework, "pin": bench.pin,
            "timeout": timeout, "backlog": BACKLOG, **sizes, **bench.extra}
    server = Child(_command(framework, {**base, "role": "server"},
                            _profilePath(opts, bench, framework, "server", run)))
    client: Child | None = None
    try:
        line = server.readLine(30.0)
        if not line:
            server.finish(5.0)  # raises with the server's stderr
            raise SampleError("server exited without a port")
        port = json.loads(line)["port"]
        client = Child(_command(framework, {**base, "role": "client", "port": port},
                                _profilePath(opts, bench, framework, "client", run)))
        try:
            clientReport = client.finish(timeout + 15)
        except SampleError as e:
            raise SampleError(f"client: {e}") from None
        try:
            serverReport = server.finish(30.0)
        except SampleError as e:
            raise SampleError(f"server: {e}") from None
    finally:
        server.close()
        if client is not None:
            client.close()
    conns = sizes["connections"]
    growth = max(0, serverReport["rss_peak_kib"] - serverReport["rss_before_kib"])
    return {
        "elapsed": clientReport["elapsed"],
        "ops": clientReport["ops"],
        "rate": clientReport["ops"] / clientReport["elapsed"],
        "server_rss_kib": serverReport["rss_peak_kib"],
        "server_rss_before_kib": serverReport["rss_before_kib"],
        "server_kib_per_conn": growth / conns,
        "client_rss_kib": clientReport["rss_peak_kib"],
    }


def runLocal(bench: Bench, framework: str, opts: Any, run: int) -> dict[str, Any]:
    sizes = SIZES[opts.mode][bench.workload]
    timeout = TIMEOUT[opts.mode]
    spec = {"workload": bench.workload, "framework": framework, "pin": bench.pin,
            "timeout": timeout, "role": "local", **sizes, **bench.extra}
    child = Child(_command(framework, spec, _profilePath(opts, bench, framework, "local", run)))
    try:
        report = child.finish(timeout + 15)
    finally:
        child.close()
    return {"elapsed": report["elapsed"], "ops": report["ops"],
            "rate": report["ops"] / report["elapsed"], "rss_kib": report["rss_peak_kib"]}


def runImport(bench: Bench, framework: str, opts: Any, run: int) -> dict[str, Any]:
    cmd = [sys.executable, "-c", IMPORTS[framework]]
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=ROOT, env=_env(), stdin=subprocess.DEVNULL,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = start + 60.0
    while True:
        pid, status, _ = os.wait4(proc.pid, os.WNOHANG)
        if pid:
            break
        if time.perf_counter() > deadline:
            proc.kill()
            proc.wait()
            raise SampleError("import took over 60 s")
        time.sleep(0.0005)
    elapsed = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    err = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
    if proc.stderr:
        proc.stderr.close()
    if proc.returncode != 0:
        raise SampleError(f"import failed: {err.strip()[-600:]}")
    return {"seconds": elapsed, "rss_kib": _importPeakRSS(framework)}


# Appended to the import command in a second, untimed child: its own peak
# RSS.  (wait4's ru_maxrss would include this runner's peak: see
# common.peakRSSKiB.)
_REPORT_HWM = "; from bench.common import peakRSSKiB; print(peakRSSKiB())"


def _importPeakRSS(framework: str) -> int:
    done = subprocess.run([sys.executable, "-c", IMPORTS[framework] + _REPORT_HWM], cwd=ROOT,
                          env=_env(), stdin=subprocess.DEVNULL, capture_output=True,
                          timeout=60, check=False)
    if done.returncode != 0:
        raise SampleError(f"import failed: {done.stderr.decode(errors='replace').strip()[-600:]}")
    return int(done.stdout.split()[-1])


def supports(framework: str, bench: Bench) -> bool:
    if framework == "selectors":
        return bench.workload in BARE_WORKLOADS
    if bench.workload in TWISTED_API_WORKLOADS:
        return framework in ("plait", "twisted")
    return True


def measure(bench: Bench, framework: str, opts: Any, run: int) -> dict[str, Any]:
    if bench.workload == "import":
        return runImport(bench, framework, opts, run)
    if bench.workload in ("timers", "deferred", "irc"):
        return runLocal(bench, framework, opts, run)
    return runNetwork(bench, framework, opts, run)


def probe(framework: str) -> str | None:
    """Why ``framework`` cannot run here, or None if it can.

    Imports what its children will import, which also fills the bytecode
    cache before anything is timed.
    """
    code = f"import {MODULES[framework]}"
    if framework in IMPORTS:
        code += "; " + IMPORTS[framework]
    try:
        proc = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=_env(),
                              capture_output=True, text=True, timeout=60, check=False)
    except subprocess.TimeoutExpired:
        return "importing it took over 60 s"
    if proc.returncode == 0:
        return None
    lines = proc.stderr.strip().splitlines()
    return lines[-1] if lines else f"exit {proc.returncode}"


# ---------------------------------------------------------------- reporting


def machine() -> dict[str, Any]:
    from importlib import metadata

    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    versions = {}
    for dist in ("twisted", "uvloop", "zope.interface"):
        try:
            versions[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            versions[dist] = None
    versions["plait"] = _plaitVersion()
    return {
        "nproc": os.cpu_count(),
        "cpu": cpu,
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
        version += f" (tree at {head.stdout.strip()} + working changes)"
    return version


def summarize(values: list[float], scale: float) -> dict[str, Any]:
    scaled = [v * scale for v in values]
    return {"median": statistics.median(scaled), "min": min(scaled),
            "max": max(scaled), "n": len(scaled)}


def buildRows(samples: dict[str, dict[str, list[dict[str, Any]]]],
              frameworks: list[str]) -> list[dict[str, Any]]:
    rows = []
    for row in ROWS:
        if row.bench not in samples:
            continue
        scale = SCALE.get(row.unit, 1.0)
        cells: dict[str, Any] = {}
        for fw in frameworks:
            runs = samples[row.bench].get(fw)
            if runs is None:
                continue
            good = [r[row.metric] for r in runs if "error" not in r]
            errors = [r["error"] for r in runs if "error" in r]
            cell: dict[str, Any] = {"errors": errors}
            if good:
                cell.update(summarize(good, scale))
            cells[fw] = cell
        ref = cells.get("twisted", {}).get("median")
        for cell in cells.values():
            if ref and "median" in cell:
                cell["ratio"] = cell["median"] / ref
        met = None
        plaitRatio = cells.get("plait", {}).get("ratio")
        if row.target is not None and plaitRatio is not None:
            met = plaitRatio >= row.target if row.higherIsBetter else plaitRatio <= row.target
        rows.append({
            "workload": row.bench, "metric": row.metric, "label": row.label,
            "unit": row.unit, "higher_is_better": row.higherIsBetter,
            "target": row.target, "met": met, "frameworks": cells,
        })
    return rows


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
        return "error"
    text = f"{_num(cell['median'])} ({_num(cell['min'])}–{_num(cell['max'])})"
    if "ratio" in cell and not isRef:
        text += f" **{cell['ratio']:.2f}×**"
    if cell["errors"]:
        text += f" [{len(cell['errors'])} failed]"
    return text


def table(rows: list[dict[str, Any]], frameworks: list[str]) -> str:
    head = ["workload", "unit"] + [LABELS[f] for f in frameworks] + ["target (plait)", "met"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for row in rows:
        cells = [_cell(row["frameworks"].get(f), f == "twisted") for f in frameworks]
        target = ""
        if row["target"] is not None:
            target = ("≥ " if row["higher_is_better"] else "≤ ") + f"{row['target']}×"
        met = {True: "✓", False: "✗", None: ""}[row["met"]]
        lines.append("| " + " | ".join([row["label"], row["unit"]] + cells + [target, met]) + " |")
    return "\n".join(lines)


def header(info: dict[str, Any], command: str, opts: Any) -> str:
    v = info["versions"]
    load = ", ".join(f"{x:.2f}" for x in info["loadavg_start"])
    return (
        f"Machine: {info['nproc']} CPUs ({info['cpu']}), {info['platform']}; "
        f"Python {info['python']}; Twisted {v['twisted']}, uvloop {v['uvloop']}, "
        f"zope.interface {v['zope.interface']}, plait {v['plait']}.  \n"
        f"Run {info['date']}: {opts.runs} runs each, interleaved; "
        f"load average at start {load}.  \n"
        f"Command: `{command}`  \n"
        "Cells: median (min–max) over the runs, **ratio of medians to Twisted**."
    )


def updateReadme(text: str) -> None:
    start, end = "<!-- bench-table-start -->", "<!-- bench-table-end -->"
    readme = README.read_text()
    if start not in readme or end not in readme:
        raise SystemExit(f"{README} has no {start} ... {end} section")
    before, rest = readme.split(start, 1)
    _, after = rest.split(end, 1)
    README.write_text(before + start + "\n" + text + "\n" + end + after)


# ---------------------------------------------------------------- main


def parseArgs(argv: list[str] | None) -> Any:
    p = argparse.ArgumentParser(prog="python -m bench", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--runs", type=int, default=3, help="runs per framework (default 3)")
    p.add_argument("--only", help="comma-separated workloads (pingpong, stream, churn, "
                   "fanin, timers, deferred, irc, import) or bench keys (e.g. pingpong-1core)")
    p.add_argument("--frameworks", help="comma-separated subset of " + ",".join(FRAMEWORKS))
    p.add_argument("--quick", action="store_true", help="tiny sizes (smoke test)")
    p.add_argument("--json", type=Path, help="where to write the JSON results "
                   "(default bench/results/<date>.json)")
    p.add_argument("--readme", action="store_true",
                   help="replace the table in bench/README.md with this run's")
    p.add_argument("--profile", type=Path, metavar="DIR",
                   help="run every child under cProfile, writing .prof files to DIR")
    opts = p.parse_args(argv)
    opts.mode = "quick" if opts.quick else "full"
    if opts.runs < 1:
        p.error("--runs must be at least 1")
    benchKeys = {b.key for b in BENCHES}
    workloads = {b.workload for b in BENCHES}
    if opts.only:
        wanted = [w.strip() for w in opts.only.split(",") if w.strip()]
        bad = [w for w in wanted if w not in benchKeys | workloads]
        if bad:
            p.error(f"unknown workload {', '.join(bad)}; choose from "
                    f"{', '.join(sorted(benchKeys | workloads))}")
        opts.benches = [b for b in BENCHES if b.key in wanted or b.workload in wanted]
    else:
        opts.benches = list(BENCHES)
    if opts.frameworks:
        asked = [f.strip() for f in opts.frameworks.split(",") if f.strip()]
        bad = [f for f in asked if f not in FRAMEWORKS]
        if bad:
            p.error(f"unknown framework {', '.join(bad)}; choose from {', '.join(FRAMEWORKS)}")
        opts.frameworkList = [f for f in FRAMEWORKS if f in asked]
        opts.explicit = True
    else:
        opts.frameworkList = list(FRAMEWORKS)
        opts.explicit = False
    return opts


def main(argv: list[str] | None = None) -> int:
    opts = parseArgs(argv)
    command = "python -m bench" + ("" if argv is None and len(sys.argv) <= 1 else
                                   " " + " ".join(argv if argv is not None else sys.argv[1:]))
    log = sys.stderr
    frameworks, unavailable = [], {}
    for fw in opts.frameworkList:
        why = probe(fw)
        if why is None:
            frameworks.append(fw)
        else:
            unavailable[fw] = why
            print(f"bench: {fw} is not available: {why}", file=log)
    if opts.explicit and unavailable:
        return 2
    info = machine()
    info["date"] = datetime.datetime.now().astimezone().isoformat(timespec="seconds")
    samples: dict[str, dict[str, list[dict[str, Any]]]] = {}
    failures = 0
    began = time.perf_counter()
    for bench in opts.benches:
        samples[bench.key] = {}
        todo = [fw for fw in frameworks if supports(fw, bench)
                and (bench.workload != "import" or fw in IMPORTS)]
        for run in range(opts.runs):
            for fw in todo:
                try:
                    sample = measure(bench, fw, opts, run)
                except SampleError as e:
                    sample = {"error": str(e)}
                    failures += 1
                    print(f"bench: {bench.key} {fw} run {run + 1}: FAILED {e}", file=log)
                else:
                    shown = (f"{sample['rate']:,.0f}/s" if "rate" in sample
                             else f"{sample['seconds'] * 1e3:.1f} ms")
                    print(f"bench: {bench.key} {fw} run {run + 1}: {shown}", file=log)
                samples[bench.key].setdefault(fw, []).append(sample)
    info["loadavg_end"] = list(os.getloadavg())
    info["duration_s"] = time.perf_counter() - began
    rows = buildRows(samples, frameworks)
    text = header(info, command, opts) + "\n\n" + table(rows, frameworks)
    if unavailable:
        text += "\n\nNot run: " + "; ".join(f"{k} ({v})" for k, v in unavailable.items())
    print(text)
    path = opts.json
    if path is None:
        RESULTS.mkdir(parents=True, exist_ok=True)
        stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
        path = RESULTS / f"{stamp}{'-quick' if opts.quick else ''}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    sizes = {b.key: {**SIZES[opts.mode][b.workload], **b.extra} for b in opts.benches}
    path.write_text(json.dumps({
        "command": command, "machine": info, "mode": opts.mode, "runs": opts.runs,
        "frameworks": frameworks, "unavailable": unavailable, "sizes": sizes,
        "samples": samples, "rows": rows, "table": text,
    }, indent=1))
    print(f"\nbench: JSON written to {path}", file=log)
    if opts.readme:
        updateReadme(text)
    return 1 if failures else 0
