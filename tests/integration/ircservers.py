"""Real IRC servers on loopback for the IRC integration tests: ngircd, miniircd, InspIRCd.

Each server runs as a subprocess with its own temporary directory, listens
on 127.0.0.1 only, on a port that was free a moment ago (another free port
is tried if the server loses that race), logs to a file (never a pipe: an
undrained pipe would block it), and is started in its own session.
Readiness is a successful TCP connect; ``stop()`` sends SIGTERM to the one
process that was started (SIGKILL after a bound) and ``start()`` brings it
back **on the same port**, so a client can be tested across a restart.

* ngircd (Debian package): configuration as in real-peers.md section 1 (no
  DNS/ident/PAM lookups, MaxConnectionsIP 0, MaxPenaltyTime 0, its own empty
  conf.d), checked with ``--configtest`` before every start.
  ``requireAuthPing=True`` makes it PING before registration;
  ``pingTimeout=5`` makes it PING an idle registered client after ~6 s.
* miniircd (PyPI package): ``python -m miniircd --listen 127.0.0.1 --ports
  PORT`` (plus ``--setuid root`` when running as root, which it otherwise
  refuses).  It PINGs a registered client only after 90 s of silence;
  ``speedup=N`` runs it through a tiny launcher that makes its clock run N
  times faster (only its ``time.time`` and ``select`` timeout are touched)
  so that the PING comes after 90/N s.

* InspIRCd 3 (Debian package; speaks IRCv3: CAP, server-time, message-tags,
  msgid): configuration as in real-peers.md (no DNS or ident, flood limits
  off, ``<dns server="127.0.0.1">`` so nothing leaves loopback), run with
  ``--nofork --nopid`` (plus ``--runasroot`` as root).  It completes a
  registration about 1 s after NICK/USER (a once-per-second timer), its
  channels start ``+nt``, and SIGTERM ends it with status 10.
  ``pingFreq=N`` makes it PING an idle client every N s; ``threshold`` and
  ``commandRate`` (commands per 1000 s) turn its flood protection on: a
  client that goes over is disconnected with "Excess Flood".

``PlainClient`` is a blocking-socket IRC client for the other side of the
conversation: it registers, answers PINGs, and waits for lines with a
deadline.

Tests: tests/integration/test_irc_servers.py uses these fixtures.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

LOOPBACK = "127.0.0.1"
START_TIMEOUT = 10.0


class ServerStartError(RuntimeError):
    """The server exited or did not listen in time."""


def freePort() -> int:
    """A loopback port that was free a moment ago."""
    with socket.socket() as s:
        s.bind((LOOPBACK, 0))
        port: int = s.getsockname()[1]
        return port


NGIRCD_CONF = """\
[Global]
\tName = irc.test.local
\tInfo = plait test server
\tAdminInfo1 = plait test suite
\tAdminInfo2 = loopback only
\tAdminEMail = test@invalid
\tListen = {host}
\tPorts = {port}
\tMotdPhrase = "plait test"
{uidLines}
[Limits]
\tMaxConnectionsIP = 0
\tMaxJoins = 0
\tMaxNickLength = 30
\tMaxPenaltyTime = 0
\tPingTimeout = {pingTimeout}
\tPongTimeout = {pongTimeout}
[Options]
\tDNS = no
\tIdent = no
\tPAM = no
\tRequireAuthPing = {authPing}
\tIncludeDir = {confDir}
"""

INSPIRCD_CONF = """\
<server name="irc.test.local" description="plait test server" network="PlaitTest">
<admin name="plait" nick="plait" email="test@invalid">
<bind address="{host}" port="{port}" type="clients">
<connect name="main" allow="*" timeout="60" pingfreq="{pingFreq}"
         hardsendq="1M" softsendq="1M" recvq="64K"
         threshold="{threshold}" commandrate="{commandRate}" fakelag="no"
         localmax="1000" globalmax="1000" maxchans="100"
         resolvehostnames="no" useident="no" limit="5000">
<dns server="127.0.0.1" timeout="1">
<options>
<security>
<performance>
<limits maxnick="30">
<module name="cap">
<module name="ircv3">
<module name="ircv3_servertime">
<module name="ircv3_msgid">
<module name="ircv3_ctctags">
<log method="file" type="* -USERINPUT -USEROUTPUT" level="default" target="{log}">
"""

# Runs miniircd with its clock sped up: argv[1] is the factor, the rest is
# miniircd's own command line.
FAST_MINIIRCD = """\
import select, sys, time, types
import miniircd
factor = float(sys.argv.pop(1))
origin = time.time()
miniircd.time = types.SimpleNamespace(time=lambda: origin + (time.time() - origin) * factor)
miniircd.select = types.SimpleNamespace(
    select=lambda r, w, x, timeout=None: select.select(r, w, x, min(timeout or 0.1, 0.1)))
sys.argv[0] = "miniircd"
miniircd.main()
"""


class IrcServer:
    """One IRC server process; ``start()`` / ``stop()`` may be repeated."""

    def __init__(self, kind: str, directory: Path, **options: object) -> None:
        if kind not in ("ngircd", "miniircd", "inspircd"):
            raise ValueError(f"unknown IRC server kind {kind!r}")
        self.kind = kind
        self.host = LOOPBACK
        self.port = 0
        self.directory = directory
        self.logPath = directory / f"{kind}.log"
        self.options = options
        self._proc: subprocess.Popen[bytes] | None = None

    def __repr__(self) -> str:
        return f"<IrcServer {self.kind} {self.host}:{self.port}>"

    # -- command lines --------------------------------------------------------

    def _argv(self) -> list[str]:
        if self.kind == "ngircd":
            return self._ngircdArgv()
        if self.kind == "inspircd":
            return self._inspircdArgv()
        return self._miniircdArgv()

    def _inspircdArgv(self) -> list[str]:
        exe = inspircdBinary()
        if exe is None:
            raise ServerStartError("inspircd is not installed (apt-get install inspircd; see .ci/run)")
        conf = self.directory / "inspircd.conf"
        conf.write_text(
            INSPIRCD_CONF.format(
                host=self.host,
                port=self.port,
                pingFreq=self.options.get("pingFreq", 120),
                threshold=self.options.get("threshold", 1000),
                commandRate=self.options.get("commandRate", 1_000_000),
                log=self.directory / "inspircd-server.log",
            )
        )
        argv = [exe, "--nofork", "--nopid", f"--config={conf}"]
        return argv + ["--runasroot"] if os.getuid() == 0 else argv

    def _ngircdArgv(self) -> list[str]:
        exe = shutil.which("ngircd") or "/usr/sbin/ngircd"
        confDir = self.directory / "conf.d"  # empty: keeps /etc/ngircd out
        confDir.mkdir(exist_ok=True)
        if os.getuid() == 0:
            uidLines = ""  # ngircd refuses uid 0 and drops to nobody itself
        else:
            uidLines = f"\tServerUID = {os.getuid()}\n\tServerGID = {os.getgid()}"
        conf = self.directory / "ngircd.conf"
        conf.write_text(
            NGIRCD_CONF.format(
                host=self.host,
                port=self.port,
                uidLines=uidLines,
                pingTimeout=self.options.get("pingTimeout", 120),
                pongTimeout=self.options.get("pongTimeout", 20),
                authPing="yes" if self.options.get("requireAuthPing") else "no",
                confDir=confDir,
            )
        )
        check = subprocess.run([exe, "--configtest", "-f", str(conf)], capture_output=True, text=True, timeout=30, check=False)
        if check.returncode != 0:
            raise ServerStartError("ngircd --configtest failed:\n" + check.stdout + check.stderr)
        return [exe, "--nodaemon", "-f", str(conf)]

    def _miniircdArgv(self) -> list[str]:
        args = ["--listen", self.host, "--ports", str(self.port), "--verbose"]
        if os.getuid() == 0:
            args += ["--setuid", "root"]  # it refuses root without saying so explicitly
        speedup = self.options.get("speedup")
        if speedup:
            return [sys.executable, "-c", FAST_MINIIRCD, str(speedup), *args]
        return [sys.executable, "-m", "miniircd", *args]

    # -- lifecycle --------------------------------------------------------------

    def start(self) -> None:
        """Start the server: on a fresh free port the first time, on the same port after."""
        if self._proc is not None:
            raise RuntimeError(f"{self!r} is already running")
        if self.port:
            self._startOn(self.port, attempts=20)  # a restart: the port is ours to reuse
            return
        for attempt in range(3):
            self.port = freePort()
            try:
                self._startOn(self.port, attempts=1)
                return
            except ServerStartError:
                if attempt == 2 or "already in use" not in self.logText().lower():
                    raise

    def _startOn(self, port: int, attempts: int) -> None:
        for attempt in range(attempts):
            with open(self.logPath, "ab") as log:
                self._proc = subprocess.Popen(
                    self._argv(),
                    stdin=subprocess.DEVNULL,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                )
            try:
                self._waitListening()
                return
            except ServerStartError:
                self.stop()
                if attempt + 1 == attempts:
                    raise
                time.sleep(0.1)  # the old listener may not have let go yet

    def _waitListening(self) -> None:
        assert self._proc is not None
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            if self._proc.poll() is not None:
                raise ServerStartError(f"{self.kind} exited with {self._proc.returncode}:\n{self.logText()[-1500:]}")
            try:
                socket.create_connection((self.host, self.port), timeout=1).close()
                return
            except OSError:
                if time.monotonic() > deadline:
                    raise ServerStartError(f"{self.kind} not listening on {self.port} after {START_TIMEOUT} s") from None
                time.sleep(0.005)

    def stop(self) -> None:
        """SIGTERM the server and wait for it (SIGKILL if it does not exit in 5 s)."""
        proc, self._proc = self._proc, None
        if proc is None:
            return
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(5)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(5)

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def logText(self) -> str:
        try:
            return self.logPath.read_bytes().decode("utf-8", "replace")
        except FileNotFoundError:
            return ""


def inspircdBinary() -> str | None:
    """Where InspIRCd is installed, or None."""
    found = shutil.which("inspircd")
    if found is None and os.access("/usr/sbin/inspircd", os.X_OK):
        found = "/usr/sbin/inspircd"
    return found


def startServer(kind: str, **options: object) -> IrcServer:
    """Start a server of ``kind`` in a fresh temporary directory."""
    directory = Path(tempfile.mkdtemp(prefix=f"plait-{kind}-"))
    os.chmod(directory, 0o755)  # ngircd running as nobody must read its files
    server = IrcServer(kind, directory, **options)
    try:
        server.start()
    except BaseException:
        shutil.rmtree(directory, ignore_errors=True)
        raise
    return server


def stopServer(server: IrcServer) -> None:
    """Stop the server and remove its directory."""
    try:
        server.stop()
    finally:
        shutil.rmtree(server.directory, ignore_errors=True)


class PlainClient:
    """A blocking IRC client for the tests' side of a conversation."""

    def __init__(self, host: str, port: int, nick: str, timeout: float = 10.0) -> None:
        self.nick = nick
        self.seen: list[str] = []
        self._buffer = b""
        self._sock = socket.create_connection((host, port), timeout=timeout)
        self.send(f"NICK {nick}")
        self.send(f"USER {nick} 0 * :plain test client")
        # End of the welcome burst: end of MOTD, or "no MOTD".
        self.expect(lambda line: line.split(" ")[1:2] in (["376"], ["422"]), timeout)

    def send(self, line: str | bytes) -> None:
        raw = line if isinstance(line, bytes) else line.encode("utf-8")
        self._sock.sendall(raw + b"\r\n")

    def expect(self, predicate: Callable[[str], bool], timeout: float = 10.0) -> str:
        """Read lines (answering PINGs) until one satisfies ``predicate``; return it."""
        deadline = time.monotonic() + timeout
        while True:
            while b"\n" not in self._buffer:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise AssertionError(f"{self.nick}: no matching line within {timeout} s; saw {self.seen[-20:]!r}")
                self._sock.settimeout(remaining)
                try:
                    chunk = self._sock.recv(65536)
                except TimeoutError:
                    continue
                if not chunk:
                    raise AssertionError(f"{self.nick}: server closed the connection; saw {self.seen[-20:]!r}")
                self._buffer += chunk
            raw, self._buffer = self._buffer.split(b"\n", 1)
            line = raw.rstrip(b"\r").decode("utf-8", "replace")
            self.seen.append(line)
            if line.startswith("PING"):
                self.send("PONG" + line[4:])
            if predicate(line):
                return line

    def join(self, channel: str) -> None:
        self.send(f"JOIN {channel}")
        self.expect(lambda line: line.split(" ")[1:2] == ["366"] or f" JOIN {channel}" in line.replace(":#", "#"))

    def close(self) -> None:
        try:
            self.send("QUIT :done")
        except OSError:
            pass
        self._sock.close()
