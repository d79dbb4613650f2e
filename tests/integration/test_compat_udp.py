"""Twisted's UDP echo example pair, unchanged Twisted code, run by
``python3 -m plait.compat``.

The two programs are written here from what Twisted's documentation says
``echoserv_udp.py`` and ``echoclient_udp.py`` do (docs/core/examples): the
server echoes every datagram to its sender; the client connects its UDP
port to the server, sends three strings one after another, prints each
answer as ``Datagram received:  b'...'`` and stops the reactor after the
third.  One change from the documented pair: the port comes from the
command line (0 for the server, which prints the port it got), where the
examples hard-code 8000; tests use port 0 only.  The expected output is
what the pair prints on Twisted 26.10 (checked once by hand; this test
never needs Twisted).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.integration.test_compat import ENV, ROOT, TIMEOUT, runCompat

ECHOSERV_UDP = '''\
import sys

from twisted.internet import reactor
from twisted.internet.protocol import DatagramProtocol


class EchoUDP(DatagramProtocol):
    def datagramReceived(self, datagram, address):
        self.transport.write(datagram, address)


def main():
    port = reactor.listenUDP(int(sys.argv[1]), EchoUDP(), interface="127.0.0.1")
    print("listening on", port.getHost().port, flush=True)
    reactor.run()


if __name__ == "__main__":
    main()
'''

ECHOCLIENT_UDP = '''\
import sys

from twisted.internet import reactor
from twisted.internet.protocol import DatagramProtocol


class EchoClientDatagramProtocol(DatagramProtocol):
    strings = [b"Hello, world!", b"What a fine day it is.", b"Bye-bye!"]

    def startProtocol(self):
        self.transport.connect("127.0.0.1", int(sys.argv[1]))
        self.sendDatagram()

    def sendDatagram(self):
        if len(self.strings):
            datagram = self.strings.pop(0)
            self.transport.write(datagram)
        else:
            reactor.stop()

    def datagramReceived(self, datagram, host):
        print("Datagram received: ", repr(datagram))
        self.sendDatagram()


def main():
    protocol = EchoClientDatagramProtocol()
    reactor.listenUDP(0, protocol)
    reactor.run()


if __name__ == "__main__":
    main()
'''


def test_udpEchoPairUnderCompat(tmp_path: Path) -> None:
    """The UDP echo client prints Twisted's three lines against the UDP echo server."""
    server = tmp_path / "echoserv_udp.py"
    client = tmp_path / "echoclient_udp.py"
    server.write_text(ECHOSERV_UDP)
    client.write_text(ECHOCLIENT_UDP)
    process = subprocess.Popen(
        [sys.executable, "-m", "plait.compat", str(server), "0"], cwd=ROOT, env=ENV,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        assert line.startswith("listening on "), (line, process.stderr.read() if process.stderr else "")
        result = runCompat(str(client), line.split()[-1])
        assert result.returncode == 0, result.stderr
        assert result.stdout.splitlines() == [
            "Datagram received:  b'Hello, world!'",
            "Datagram received:  b'What a fine day it is.'",
            "Datagram received:  b'Bye-bye!'",
        ]
    finally:
        process.terminate()
        process.wait(timeout=TIMEOUT)
        for stream in (process.stdout, process.stderr):
            if stream is not None:
                stream.close()


def test_unixAndUdpModulesAreServed(tmp_path: Path) -> None:
    """twisted.internet.unix and twisted.internet.udp are plait's modules under compat."""
    program = tmp_path / "which.py"
    program.write_text(
        "from twisted.internet import unix, udp\n"
        "from twisted.internet.endpoints import UNIXClientEndpoint\n"
        "print(unix.__name__, udp.__name__, unix.Port.__module__, udp.MulticastPort.__name__)\n"
        "print(UNIXClientEndpoint.__module__)\n"
    )
    result = runCompat(str(program))
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        "plait.unix plait.udp plait.unix MulticastPort",
        "plait._unixendpoints",
    ]
