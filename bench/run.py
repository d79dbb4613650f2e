"""Run every workload for every framework, interleaved, and print the table.

Usage (from the repository root)::

    python -m bench [--runs N] [--only W[,W..]] [--frameworks F[,F..]] [--scale]
                    [--quick] [--json PATH] [--plot PATH | --no-plot] [--readme]
                    [--profile DIR [--profile-clock cpu|wall]]

For each benchmark, runs go framework by framework in turn (A B C D A B C D
...), so slow drifts of the machine hit every framework alike.  Network
workloads start the server and the client as two child processes (see
``bench/common.py``); the client measures itself and reports through stdout.
The table gives, per framework, the median, min-max and the ratio of the
medians to Twisted's, and the issue's target for plait with a check mark;
a PNG of the same ratios (and, when the scale rows ran, of the scale
curves) is written next to the JSON.  What is measured is ``bench.catalog``;
the table and its notes are ``bench.report``; the pictures ``bench.plot``.
"""

from __future__ import annotations

import argparse
import datetime
import json
import math
import os
import select
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench import report
from bench.catalog import (
    BACKLOG,
    BENCHES,
    EXTRA_MODULES,
    FRAMEWORKS,
    IMPORTS,
    MODULES,
    TIMEOUT,
    Bench,
    sizesFor,
    supports,
)

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
PYCACHE = Path(tempfile.gettempdir()) / "plait-bench-pycache"
#: Where ``--readme`` copies the run's pictures (the README's table links them).
LATEST_RATIOS = ROOT / "bench" / "latest-ratios.png"
LATEST_SCALE = ROOT / "bench" / "latest-scale.png"
HOST = "127.0.0.1"


class SampleError(Exception):
    """One run of one framework failed; the message says how."""


class Skipped(Exception):
    """This machine cannot run this bench at all; the message says why."""


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


#: ``--profile-clock``: what the profiles time (see ``bench/profilechild.py``).
PROFILE_CLOCK = ["cpu"]


def _command(module: str, spec: dict[str, Any], profile: Path | None) -> list[str]:
    if profile is not None:
        return [sys.executable, "-m", "bench.profilechild", str(profile), PROFILE_CLOCK[0],
                module, json.dumps(spec)]
    return [sys.executable, "-m", module, json.dumps(spec)]


class Child:
    """A child process with its stderr in a temporary file."""

    def __init__(self, cmd: list[str], passFds: tuple[int, ...] = ()) -> None:
        self.err = tempfile.TemporaryFile()  # noqa: SIM115 (closed in close())
        self.proc = subprocess.Popen(
            cmd, cwd=ROOT, env=_env(), stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE, stderr=self.err, text=True, pass_fds=passFds,
        )

    def readLine(self, timeout: float) -> str:
        """The next stdout line, or raise if none comes in time."""
        assert self.proc.stdout is not None
        ready, _, _ = select.select([self.proc.stdout], [], [], timeout)
        if not ready:
            raise SampleError(f"no output within {timeout:.0f} s")
        return self.proc.stdout.readline()

    def announced(self, timeout: float) -> dict[str, Any]:
        """The server's first line (``{"port": N, ...}``), or raise with its stderr."""
        line = self.readLine(timeout)
        if not line:
            self.finish(5.0)  # raises with the server's stderr
            raise SampleError("server exited without a port")
        announced: dict[str, Any] = json.loads(line)
        return announced

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
        result: dict[str, Any] = json.loads(lines[-1])
        return result

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


# ---------------------------------------------------------------- TLS material


class Certificates:
    """A CA and a ``localhost`` server certificate made with trustme, as PEM files.

    Made once per invocation (the first TLS bench asks), in a temporary
    directory removed at exit; every framework's children load the same files.
    """

    def __init__(self) -> None:
        try:
            import trustme
        except ImportError:
            raise SampleError("trustme is not installed (pip install -e '.[bench]')") from None
        self.directory = Path(tempfile.mkdtemp(prefix="plait-bench-tls-"))
        ca = trustme.CA()
        leaf = ca.issue_cert("localhost", "127.0.0.1")
        self.ca = self.directory / "ca.pem"
        self.server = self.directory / "server.pem"  # key + certificate chain
        ca.cert_pem.write_to_path(str(self.ca))
        leaf.private_key_and_cert_chain_pem.write_to_path(str(self.server))

    def spec(self) -> dict[str, str]:
        return {"ca": str(self.ca), "server": str(self.server), "hostname": "localhost"}

    def remove(self) -> None:
        shutil.rmtree(self.directory, ignore_errors=True)


def _transportSpec(bench: Bench, opts: Any) -> dict[str, Any]:
    transport = bench.extra.get("transport")
    if transport == "unix":
        return {"unix": str(_socketPath(opts))}
    if transport != "tls":
        return {}
    if opts.certificates is None:
        opts.certificates = Certificates()
    return {"tls": opts.certificates.spec()}


def _socketPath(opts: Any) -> Path:
    """A fresh UNIX socket path for one sample, in a directory made once per
    invocation and removed at exit (the server binds it; a new name per
    sample, so that no run meets the previous run's socket file or lock)."""
    if opts.socketDirectory is None:
        opts.socketDirectory = Path(tempfile.mkdtemp(prefix="plait-bench-unix-"))
    opts.socketCount += 1
    return opts.socketDirectory / f"s{opts.socketCount}.sock"


# ---------------------------------------------------------------- samples


def runNetwork(bench: Bench, framework: str, opts: Any, run: int) -> dict[str, Any]:
    """A server child and a client child of ``framework``; the client times itself."""
    sizes = sizesFor(bench, opts.mode)
    timeout = TIMEOUT[opts.mode] * (2 if bench.kind == "scale" else 1)
    base = {"workload": bench.workload, "framework": framework, "pin": bench.pin,
            "timeout": timeout, "backlog": BACKLOG, **sizes, **_transportSpec(bench, opts)}
    if bench.kind == "scale":
        base.update(_scaleSpec(sizes["connections"]))
    module = MODULES[framework]
    server = Child(_command(module, {**base, "role": "server"},
                            _profilePath(opts, bench, framework, "server", run)))
    client: Child | None = None
    try:
        announced = server.announced(30.0)
        client = Child(_command(module, {**base, "role": "client", "port": announced["port"],
                                         "ports": announced.get("ports", [announced["port"]])},
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
    # The scale server samples its RSS with every connection up and idle;
    # the others' figure is their peak (all connections up and busy).
    loaded = serverReport.get("rss_connected_kib", serverReport["rss_peak_kib"])
    growth = max(0, loaded - serverReport["rss_before_kib"])
    sample = {
        "elapsed": clientReport["elapsed"],
        "ops": clientReport["ops"],
        "rate": clientReport["ops"] / clientReport["elapsed"],
        "connections": conns,
        "server_rss_kib": serverReport["rss_peak_kib"],
        "server_rss_before_kib": serverReport["rss_before_kib"],
        "server_kib_per_conn": growth / conns,
        "client_rss_kib": clientReport["rss_peak_kib"],
        "server_cpu_s": serverReport["cpu_s"],
        "client_cpu_s": clientReport["cpu_s"],
        "server_cpu_work_s": serverReport.get("cpu_work_s"),
        "client_cpu_work_s": clientReport.get("cpu_work_s"),
    }
    sample.update(clientReport.get("metrics", {}))
    sample.update(serverReport.get("metrics", {}))
    return sample


def runLocal(bench: Bench, framework: str, opts: Any, run: int) -> dict[str, Any]:
    """One child does all the work (timers, Deferreds, a server and its clients...)."""
    timeout = TIMEOUT[opts.mode]
    spec = {"workload": bench.workload, "framework": framework, "pin": bench.pin,
            "timeout": timeout, "role": "local", "backlog": BACKLOG,
            **sizesFor(bench, opts.mode), **_transportSpec(bench, opts)}
    child = Child(_command(MODULES[framework], spec,
                           _profilePath(opts, bench, framework, "local", run)))
    try:
        report_ = child.finish(timeout + 15)
    finally:
        child.close()
    sample = {"elapsed": report_["elapsed"], "ops": report_["ops"],
              "rate": report_["ops"] / report_["elapsed"], "rss_kib": report_["rss_peak_kib"],
              "cpu_s": report_["cpu_s"], "cpu_work_s": report_.get("cpu_work_s")}
    sample.update(report_.get("metrics", {}))
    return sample


def runMulticore(bench: Bench, framework: str, opts: Any, run: int) -> dict[str, Any]:
    """N server workers of ``framework`` on one listening socket this process made,
    driven by ``generators`` load generators (the bare selectors client, the
    same for every framework and every N); the rate is all round trips over
    the wall time from the first generator's start to the last one's end."""
    sizes = sizesFor(bench, opts.mode)
    timeout = TIMEOUT[opts.mode]
    workers = sizes["workers"]
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    servers: list[Child] = []
    clients: list[Child] = []
    try:
        listener.bind((HOST, 0))
        listener.listen(BACKLOG)
        # adoptStreamPort's contract: the caller makes the socket non-blocking.
        listener.setblocking(False)
        port = listener.getsockname()[1]
        spec = {"workload": "multicore", "framework": framework, "pin": False,
                "timeout": timeout, "backlog": BACKLOG, "fd": listener.fileno(), **sizes}
        for i in range(workers):
            servers.append(Child(_command(MODULES[framework], {**spec, "role": "server"},
                                          _profilePath(opts, bench, framework, f"worker{i}", run)),
                                 passFds=(listener.fileno(),)))
        for server in servers:
            server.announced(30.0)
        load = {"workload": "fanin", "framework": "selectors", "pin": False, "role": "client",
                "timeout": timeout, "port": port, **sizes}
        clients = [Child(_command(MODULES["selectors"], load, None))
                   for _ in range(sizes["generators"])]
        reports = []
        for client in clients:
            try:
                reports.append(client.finish(timeout + 15))
            except SampleError as e:
                raise SampleError(f"load generator: {e}") from None
        served = []
        for server in servers:
            server.proc.send_signal(signal.SIGTERM)
            try:
                served.append(server.finish(30.0)["connections"])
            except SampleError as e:
                raise SampleError(f"worker: {e}") from None
    finally:
        listener.close()
        for child in servers + clients:
            child.close()
    ops = sum(r["ops"] for r in reports)
    wall = max(r["end"] for r in reports) - min(r["start"] for r in reports)
    return {"elapsed": wall, "ops": ops, "rate": ops / wall, "workers": workers,
            "connections_per_worker": served}


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


# ---------------------------------------------------------------- scale limits

#: Descriptors a scale child needs beyond one per connection.
FD_MARGIN = 256


def _ephemeralPorts() -> int:
    try:
        low, high = map(int, Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split())
    except (OSError, ValueError):
        return 28_232  # Linux's default range, 32768-60999
    return high - low + 1


def _scaleSpec(connections: int) -> dict[str, Any]:
    """Descriptors each side needs, and how many ports the server listens on:
    one client address reaches one server port from at most the ephemeral
    range's number of ports, so 50,000 connections need several server ports."""
    perPort = int(_ephemeralPorts() * 0.8)
    return {"fds": connections + FD_MARGIN, "listen_ports": max(1, math.ceil(connections / perPort))}


def scaleSkipReason(connections: int) -> str | None:
    """Why this machine cannot hold ``connections`` sockets in each of two
    processes, or None if it can (children raise their soft limit themselves)."""
    import resource

    need = connections + FD_MARGIN
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard == resource.RLIM_INFINITY or hard >= need or _mayRaiseHardLimit(need):
        return None
    return (f"{connections:,} connections need {need:,} descriptors per process and the "
            f"hard limit is {hard:,}, which this user may not raise (`ulimit -Hn {need}` "
            "as root with CAP_SYS_RESOURCE, or raise the limit for the account)")


_raisable: dict[int, bool] = {}


def _mayRaiseHardLimit(need: int) -> bool:
    """Whether a child may raise its hard RLIMIT_NOFILE to ``need`` (root with
    CAP_SYS_RESOURCE may, up to fs.nr_open; a container may say no): asked
    once of a throwaway child, so this process's limits stay as they are."""
    if need not in _raisable:
        code = ("import resource; resource.setrlimit(resource.RLIMIT_NOFILE, "
                f"({need}, {need}))")
        done = subprocess.run([sys.executable, "-c", code], capture_output=True,
                              timeout=30, check=False)
        _raisable[need] = done.returncode == 0
    return _raisable[need]


# ---------------------------------------------------------------- dispatch


def measure(bench: Bench, framework: str, opts: Any, run: int) -> dict[str, Any]:
    if bench.kind == "import":
        return runImport(bench, framework, opts, run)
    if bench.kind == "local":
        return runLocal(bench, framework, opts, run)
    if bench.kind == "multicore":
        return runMulticore(bench, framework, opts, run)
    if bench.kind == "scale":
        why = scaleSkipReason(sizesFor(bench, opts.mode)["connections"])
        if why:
            raise Skipped(why)
    return runNetwork(bench, framework, opts, run)


def probe(framework: str) -> str | None:
    """Why ``framework`` cannot run here, or None if it can.

    Imports what its children will import, which also fills the bytecode
    cache before anything is timed.
    """
    code = f"import {MODULES[framework]}"
    if framework in EXTRA_MODULES:
        code += f"; import {EXTRA_MODULES[framework]}"
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


def _shown(sample: dict[str, Any]) -> str:
    if "rate" in sample:
        return f"{sample['rate']:,.0f}/s"
    return f"{sample['seconds'] * 1e3:.1f} ms"


# ---------------------------------------------------------------- main


def parseArgs(argv: list[str] | None) -> Any:
    p = argparse.ArgumentParser(prog="python -m bench", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    names = sorted({b.key for b in BENCHES} | {b.workload for b in BENCHES}
                   | {g for b in BENCHES for g in b.groups})
    p.add_argument("--runs", type=int, default=3, help="runs per framework (default 3)")
    p.add_argument("--only", help="comma-separated workloads, groups or bench keys: "
                   + ", ".join(names))
    p.add_argument("--frameworks", help="comma-separated subset of " + ",".join(FRAMEWORKS))
    p.add_argument("--scale", action="store_true",
                   help="also run the scale rows (1k/10k/50k connections; minutes)")
    p.add_argument("--quick", action="store_true",
                   help="tiny sizes (smoke test); includes tiny scale rows")
    p.add_argument("--json", type=Path, help="where to write the JSON results "
                   "(default bench/results/<date>.json)")
    p.add_argument("--plot", type=Path, metavar="PATH",
                   help="where to write the ratio plot (default: next to the JSON, .png)")
    p.add_argument("--no-plot", dest="noPlot", action="store_true", help="write no PNG")
    p.add_argument("--readme", action="store_true",
                   help="replace the table in bench/README.md with this run's, and copy the "
                   "plots to bench/latest-*.png")
    p.add_argument("--rerender", type=Path, metavar="JSON",
                   help="run nothing: rebuild the table (and, with --readme, the README's) "
                   "from a saved run's samples, with today's catalog (targets, labels)")
    p.add_argument("--profile", type=Path, metavar="DIR",
                   help="run every child under cProfile, writing .prof files to DIR")
    p.add_argument("--profile-clock", dest="profileClock", choices=["cpu", "wall"],
                   default="cpu", help="what the profiles time: the process's CPU time "
                   "(default; other load does not inflate it) or wall-clock time")
    opts = p.parse_args(argv)
    PROFILE_CLOCK[0] = opts.profileClock
    opts.mode = "quick" if opts.quick else "full"
    opts.certificates = None
    opts.socketDirectory = None
    opts.socketCount = 0
    if opts.runs < 1:
        p.error("--runs must be at least 1")
    if opts.only:
        wanted = [w.strip() for w in opts.only.split(",") if w.strip()]
        bad = [w for w in wanted if w not in names]
        if bad:
            p.error(f"unknown workload {', '.join(bad)}; choose from {', '.join(names)}")
        opts.benches = [b for b in BENCHES if b.key in wanted or b.workload in wanted
                        or set(b.groups) & set(wanted)]
    else:
        opts.benches = [b for b in BENCHES if not b.optIn or opts.scale or opts.quick]
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
    if opts.rerender is not None:
        return rerender(opts)
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
    info = report.machine()
    info["date"] = datetime.datetime.now().astimezone().isoformat(timespec="seconds")
    samples: dict[str, dict[str, list[dict[str, Any]]]] = {}
    failures = 0
    began = time.perf_counter()
    try:
        for bench in opts.benches:
            samples[bench.key] = {}
            todo = [fw for fw in frameworks if supports(fw, bench)]
            for run in range(opts.runs):
                for fw in todo:
                    try:
                        sample = measure(bench, fw, opts, run)
                    except Skipped as e:
                        sample = {"skipped": str(e)}
                        print(f"bench: {bench.key} {fw}: skipped: {e}", file=log)
                    except SampleError as e:
                        sample = {"error": str(e)}
                        failures += 1
                        print(f"bench: {bench.key} {fw} run {run + 1}: FAILED {e}", file=log)
                    else:
                        print(f"bench: {bench.key} {fw} run {run + 1}: {_shown(sample)}",
                              file=log)
                    samples[bench.key].setdefault(fw, []).append(sample)
    finally:
        if opts.certificates is not None:
            opts.certificates.remove()
        if opts.socketDirectory is not None:
            shutil.rmtree(opts.socketDirectory, ignore_errors=True)
    info["loadavg_end"] = list(os.getloadavg())
    info["duration_s"] = time.perf_counter() - began
    path = opts.json or RESULTS / (datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
                                   + ("-quick" if opts.quick else "") + ".json")
    sizes = {b.key: sizesFor(b, opts.mode) for b in opts.benches}
    _publish(opts, command, info, samples, frameworks, unavailable, sizes, path)
    return 1 if failures else 0


def rerender(opts: Any) -> int:
    """``--rerender JSON``: publish a saved run again (its samples, machine and
    command as they were; targets and labels from today's catalog), to a new
    JSON beside it."""
    saved = json.loads(opts.rerender.read_text())
    path = opts.json or opts.rerender.with_name(opts.rerender.stem + "-rerendered.json")
    _publish(opts, saved["command"], saved["machine"], saved["samples"], saved["frameworks"],
             saved["unavailable"], saved["sizes"], path, mode=saved["mode"], runs=saved["runs"])
    return 0


def _publish(opts: Any, command: str, info: dict[str, Any],
             samples: dict[str, dict[str, list[dict[str, Any]]]], frameworks: list[str],
             unavailable: dict[str, str], sizes: dict[str, Any], path: Path,
             mode: str | None = None, runs: int | None = None) -> None:
    """The table, its notes, the plots, the README (``--readme``) and the JSON."""
    log = sys.stderr
    mode = mode or opts.mode
    runs = runs or opts.runs
    rows = report.buildRows(samples, frameworks)
    noise = report.noiseNote(rows, info, runs)
    notes = report.skippedNotes(samples)
    if unavailable:
        notes.append("Not run: " + "; ".join(f"{k} ({v})" for k, v in unavailable.items()))
    text = "\n\n".join([report.header(info, command, runs),
                        report.table(rows, frameworks), noise, *notes])
    path.parent.mkdir(parents=True, exist_ok=True)
    plots = _plots(opts, rows, samples, frameworks, info, command, noise, path)
    if opts.readme:
        links = []
        if "ratios" in plots:
            shutil.copyfile(plots["ratios"], LATEST_RATIOS)
            links.append(f"![ratios to Twisted]({LATEST_RATIOS.name})")
        if "scale" in plots:
            shutil.copyfile(plots["scale"], LATEST_SCALE)
            links.append(f"![scale curves]({LATEST_SCALE.name})")
        report.updateReadme(text + ("\n\n" + "\n".join(links) if links else ""))
    print(text)
    path.write_text(json.dumps({
        "command": command, "machine": info, "mode": mode, "runs": runs,
        "frameworks": frameworks, "unavailable": unavailable, "sizes": sizes,
        "samples": samples, "rows": rows, "table": text, "noise": noise,
        "plots": {k: str(v) for k, v in plots.items()},
    }, indent=1))
    print(f"\nbench: JSON written to {path}", file=log)


def _plots(opts: Any, rows: list[dict[str, Any]], samples: dict[str, Any],
           frameworks: list[str], info: dict[str, Any], command: str, noise: str,
           jsonPath: Path) -> dict[str, Path]:
    """Write the PNGs if matplotlib is here; say so on stderr if it is not."""
    if opts.noPlot:
        return {}
    from bench import plot

    why = plot.available()
    if why is not None:
        print(f"bench: no plot: {why}", file=sys.stderr)
        return {}
    title = f"{command} — {info['date']} — {report.describeMachine(info)}"
    ratios = opts.plot or jsonPath.with_suffix(".png")
    written = {}
    if plot.ratioPlot(rows, frameworks, title, noise, ratios):
        written["ratios"] = ratios
        print(f"bench: plot written to {ratios}", file=sys.stderr)
    scale = ratios.with_name(ratios.stem + "-scale.png")
    if plot.scalePlot(samples, frameworks, title, scale):
        written["scale"] = scale
        print(f"bench: scale plot written to {scale}", file=sys.stderr)
    return written
