"""Plain client TLS needs only the standard library: ``cryptography`` is optional.

A child Python is started with ``cryptography`` made unimportable
(``sys.modules['cryptography'] = None`` before anything imports plait), and
it runs a TLS server and two verified clients on loopback -- ``connectSSL``
with ``optionsForClientTLS`` and a CA loaded from PEM bytes, and a ``tls:``
endpoint with a directory of CA files -- then checks that reading a
certificate's fields says which package it needs.  (A subprocess, because
this test process has ``cryptography`` loaded already.)
"""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from collections import Counter
from pathlib import Path

from tests.tlshelpers import Certs

ROOT = Path(__file__).resolve().parents[2]

CHILD = r"""
import sys
sys.modules["cryptography"] = None  # "import cryptography" now raises ImportError
import os
from plait import ssl
from plait.endpoints import clientFromString, connectProtocol
from plait.protocol import ClientFactory, Factory, Protocol
from plait.selectreactor import SelectorReactor

directory = sys.argv[1]
read = lambda name: open(os.path.join(directory, name), "rb").read()
server = ssl.PrivateCertificate.loadPEM(read("server.pem"))
ca = ssl.Certificate.loadPEM(read("ca.pem"))
reactor = SelectorReactor()
results = []

class Echo(Protocol):
    def dataReceived(self, data):
        self.transport.write(data)

class Client(Protocol):
    def connectionMade(self):
        self.transport.write(b"ping")
    def dataReceived(self, data):
        results.append(data)
        self.transport.loseConnection()
    def connectionLost(self, reason):
        results.append(reason.type.__name__)
        if len(results) == 4:
            reactor.stop()

port = reactor.listenSSL(0, Factory.forProtocol(Echo), server.options(), interface="127.0.0.1")
number = port.getHost().port
reactor.connectSSL("127.0.0.1", number, ClientFactory.forProtocol(Client), ssl.optionsForClientTLS("localhost", ca))
description = f"tls:127.0.0.1:{number}:trustRoots={directory}"
connectProtocol(clientFromString(reactor, description), Client()).addErrback(lambda f: results.append(f) or reactor.stop())
reactor.callLater(10, reactor.stop)
reactor.run(installSignalHandlers=False)
print(results)
try:
    ca.getSubject()
except ImportError as e:
    print("ImportError:", e)
print("cryptography loaded:", sys.modules["cryptography"] is not None)
"""


def test_clientTLSWithoutCryptography(tmp_path: Path) -> None:
    """Server, connectSSL client and tls: endpoint all work; fields need cryptography, and say so."""
    certs = Certs(tmp_path)
    (tmp_path / "other.txt").write_text("not a PEM file, skipped by trustRoots")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
    result = subprocess.run(
        [sys.executable, "-c", CHILD, str(certs.directory)],
        capture_output=True, text=True, timeout=60, env=env, cwd=ROOT, check=False,
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    # Two clients, each: the echo, then a clean close (their order may interleave).
    assert Counter(ast.literal_eval(lines[0])) == {b"ping": 2, "ConnectionDone": 2}, result.stdout
    assert lines[1].startswith("ImportError: Certificate.original needs the optional 'cryptography' package")
    assert lines[2] == "cryptography loaded: False"
