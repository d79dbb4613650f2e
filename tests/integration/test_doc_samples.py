"""Every program shown in the README and the docs runs, reports failure, and ends.

The pages: README.md, docs/**/*.md and examples/**/*.md.  What is checked:

* Every ```` ```python ```` block is a whole program and is run as one.
  If it names a server to start first (``python3 examples/howto_server.py
  PORT`` in the block), it is run twice: against that server (started here
  on a free port, the block's PORT replaced by it), where it must exit 0;
  and with nothing listening on the port, where it must still end and say
  ``Connection was refused``.  Any other block must exit 0 on its own.
  Every run must end within ``TIMEOUT`` seconds and print no traceback.
* A ```` ```text ```` block right after a python block (blank lines apart)
  is that program's exact output.
* A python block whose first line is ``# examples/.../name.py`` is that
  file, character for character (so the page and the runnable file cannot
  drift); the file is what runs.
* examples/ircLogBot.md's three shell commands (ngircd, the bot, the IRC
  client) are run as written, on a free port and a temporary log file.

A block titled ``python title="examples/..."`` is an excerpt of that file,
checked by tests/unit/test_docs.py (verbatim, and run by an integration
test); it is not run here.

A snippet that cannot run alone does not belong in a python block: use a
``text`` block, or put ``<!-- not a program: REASON -->`` on the line
before the fence.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.integration.test_examples import ENV, ROOT, Server

TIMEOUT = 30
PAGES = sorted([ROOT / "README.md", *ROOT.glob("docs/**/*.md"), *ROOT.glob("examples/**/*.md")])
HOWTO_SERVER = re.compile(r"python3 examples/howto_server\.py (\d+)")
FILE_LINE = re.compile(r"# (examples/[\w/]+\.py)\n")
NOT_A_PROGRAM = re.compile(r"<!-- not a program: .+ -->")


@dataclass
class Block:
    page: str
    line: int
    language: str
    code: str
    before: str  # the line before the opening fence


def blocks(path: Path) -> list[Block]:
    """The fenced blocks of one Markdown page, in order."""
    found: list[Block] = []
    lines = path.read_text().splitlines(keepends=True)
    i = 0
    while i < len(lines):
        fence = re.match(r"```(\w*)\s*$", lines[i])
        if fence is None:
            i += 1
            continue
        end = i + 1
        while end < len(lines) and not lines[end].startswith("```"):
            end += 1
        before = lines[i - 1] if i > 0 else ""
        page = str(path.relative_to(ROOT))
        found.append(Block(page, i + 1, fence.group(1), "".join(lines[i + 1 : end]), before.strip()))
        i = end + 1
    return found


@dataclass
class Sample:
    block: Block
    output: str | None  # the text block right after it, if any

    @property
    def id(self) -> str:
        return f"{self.block.page}:{self.block.line}"


def samples() -> list[Sample]:
    found = []
    for path in PAGES:
        text = path.read_text()
        pageBlocks = blocks(path)
        for index, block in enumerate(pageBlocks):
            if block.language != "python" or NOT_A_PROGRAM.fullmatch(block.before):
                continue
            output = None
            if index + 1 < len(pageBlocks):
                following = pageBlocks[index + 1]
                between = text.splitlines()[block.line + block.code.count("\n") : following.line - 1]
                if following.language == "text" and not any(line.strip() for line in between):
                    output = following.code
            found.append(Sample(block, output))
    return found


SAMPLES = samples()


def refusedPort() -> tuple[socket.socket, int]:
    """A loopback port that refuses connections (bound, never listening)."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    return s, s.getsockname()[1]


def runProgram(sample: Sample, tmp_path: Path, port: int | None = None) -> subprocess.CompletedProcess[str]:
    code = sample.block.code
    fileLine = FILE_LINE.match(code)
    if fileLine is not None:
        program = ROOT / fileLine.group(1)
    else:
        program = tmp_path / "sample.py"
        if port is not None:
            code = re.sub(rf"\b{HOWTO_SERVER.search(code).group(1)}\b", str(port), code)  # type: ignore[union-attr]
        program.write_text(code)
    try:
        result = subprocess.run(
            [sys.executable, str(program)],
            cwd=ROOT,
            env=ENV,
            capture_output=True,
            text=True,
            timeout=TIMEOUT,
            check=False,
        )
    except subprocess.TimeoutExpired:
        pytest.fail(f"{sample.id} did not end within {TIMEOUT} s")
    assert "Traceback" not in result.stdout + result.stderr, result.stdout + result.stderr
    return result


def test_thePagesHavePrograms() -> None:
    """The collection finds the README's and the docs' programs (it is not vacuous)."""
    pages = {sample.block.page for sample in SAMPLES}
    assert {"README.md", "docs/deferreds.md"} <= pages


@pytest.mark.parametrize("sample", SAMPLES, ids=lambda s: s.id)
def test_programRuns(sample: Sample, tmp_path: Path) -> None:
    """The program runs to its end (against the server it names), printing its shown output."""
    needsServer = HOWTO_SERVER.search(sample.block.code)
    fileLine = FILE_LINE.match(sample.block.code)
    if fileLine is not None:
        assert (ROOT / fileLine.group(1)).read_text() == sample.block.code, "the page and the file differ"
    if needsServer:
        server = Server()
        try:
            result = runProgram(sample, tmp_path, int(server.port))
        finally:
            server.stop()
    else:
        result = runProgram(sample, tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    # A program that connects somewhere must name the server to start first.
    assert "Connection was refused" not in result.stdout + result.stderr, result.stdout + result.stderr
    if sample.output is not None:
        assert result.stdout == sample.output


@pytest.mark.parametrize(
    "sample", [s for s in SAMPLES if HOWTO_SERVER.search(s.block.code)], ids=lambda s: s.id
)
def test_programReportsThatNothingListens(sample: Sample, tmp_path: Path) -> None:
    """With no server on its port, the program says so and still ends."""
    sock, port = refusedPort()
    with sock:
        result = runProgram(sample, tmp_path, port)
    assert "Connection was refused" in result.stdout + result.stderr


# -- examples/ircLogBot.md: server, bot and client, as written -------------------------------


def ircCommands() -> list[str]:
    commands = [b.code.strip() for b in blocks(ROOT / "examples" / "ircLogBot.md") if b.language == "sh"]
    assert len(commands) == 3, commands
    return commands


def freePort() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def shell(tmp_path: Path) -> Iterator[list[subprocess.Popen[str]]]:
    """Background shells started by the test, each stopped (its whole group) afterwards."""
    started: list[subprocess.Popen[str]] = []
    yield started
    for proc in started:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def waitForPort(port: int, proc: subprocess.Popen[str], log: Path) -> None:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"the server ended: {log.read_text()}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.02)
    pytest.fail(f"nothing listened on {port}: {log.read_text()}")


def waitForLine(path: Path, line: str, proc: subprocess.Popen[str], output: Path) -> None:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if path.exists() and line in path.read_text():
            return
        if proc.poll() is not None:
            break
        time.sleep(0.02)
    pytest.fail(f"{line!r} never appeared in {path}; the program said:\n{output.read_text()}")


@pytest.mark.skipif(
    not (shutil.which("ngircd") or os.path.exists("/usr/sbin/ngircd")),
    reason="ngircd is not installed (.ci/run installs it)",
)
def test_ircLogBotPageRunsAsWritten(tmp_path: Path, shell: list[subprocess.Popen[str]]) -> None:
    """ircLogBot.md's three commands: the bot logs the line and answers the client."""
    server, bot, client = ircCommands()
    # The page's commands run "with the README's environment active": python3
    # is this interpreter (what activating .venv does to PATH).
    activated = {**ENV, "PATH": os.pathsep.join([os.path.dirname(sys.executable), os.environ.get("PATH", "")])}
    port = str(freePort())
    assert "16667" in server and "16667" in bot and "16667" in client
    logFile = tmp_path / "test.log"
    serverLog, botLog = tmp_path / "ngircd.out", tmp_path / "bot.out"

    def background(command: str, out: Path) -> subprocess.Popen[str]:
        with out.open("w") as sink:
            proc = subprocess.Popen(
                ["bash", "-c", command],
                cwd=ROOT,
                env={**activated, "TMPDIR": str(tmp_path)},  # mktemp -d: under tmp_path
                stdout=sink,
                stderr=subprocess.STDOUT,
                text=True,
                start_new_session=True,
            )
        shell.append(proc)
        return proc

    serverProc = background(server.replace("16667", port), serverLog)
    waitForPort(int(port), serverProc, serverLog)
    botProc = background(bot.replace("16667", port).replace("test.log", str(logFile)), botLog)
    waitForLine(logFile, "[I have joined #test]", botProc, botLog)

    result = subprocess.run(
        ["bash", "-c", client.replace("16667", port)],
        cwd=ROOT,
        env=activated,
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.splitlines() == ["<alice> twistedbot: hello", "<twistedbot> alice: I am a log bot"]
    waitForLine(logFile, "<twistedbot> alice: I am a log bot", botProc, botLog)
    assert "<alice> twistedbot: hello" in logFile.read_text()
