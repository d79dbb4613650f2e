"""A Twisted program using twisted.protocols.policies (and fdesc, posixbase),
unchanged, run by ``python3 -m plait.compat``.

The program starts an echo server behind a ``WrappingFactory`` on
127.0.0.1 port 0 and a client with ``TimeoutMixin`` that sends one line,
reads the echo and then stays silent until its idle timeout hangs up.  It
prints what it saw and stops the reactor once both ends are closed.  The same program runs on
Twisted 26.10 with the same output (checked once by hand: this test never
imports Twisted).
"""

from __future__ import annotations

from pathlib import Path

from tests.integration.test_compat import runCompat

PROGRAM = '''\
import os

from twisted.internet import fdesc, posixbase, reactor
from twisted.internet.protocol import ClientFactory, Factory, Protocol
from twisted.protocols.policies import TimeoutMixin, WrappingFactory


class Echo(Protocol):
    def dataReceived(self, data):
        self.transport.write(data)


class Client(Protocol, TimeoutMixin):
    def connectionMade(self):
        self.setTimeout(0.3)
        self.transport.write(b"hello\\n")

    def dataReceived(self, data):
        self.resetTimeout()
        print("echo:", data)

    def timeoutConnection(self):
        print("timed out after", self.timeOut)
        TimeoutMixin.timeoutConnection(self)

    def connectionLost(self, reason):
        print("lost:", reason.type.__name__)
        finished()


class ClientF(ClientFactory):
    protocol = Client


class Wrapping(WrappingFactory):
    def unregisterProtocol(self, p):
        WrappingFactory.unregisterProtocol(self, p)
        print("server wrappers left:", len(self.protocols))
        finished()


ends = []


def finished():
    ends.append(1)
    if len(ends) == 2:
        reactor.stop()


wrapping = Wrapping(Factory.forProtocol(Echo))
port = reactor.listenTCP(0, wrapping, interface="127.0.0.1")
reactor.connectTCP("127.0.0.1", port.getHost().port, ClientF())
r, w = os.pipe()
fdesc.setNonBlocking(r)
print("nothing to read:", fdesc.readFromFD(r, print))
print("reactor is posix:", isinstance(reactor, posixbase.PosixReactorBase))
reactor.callLater(10, reactor.stop)  # a bound, should the timeout not fire
reactor.run()
'''


def test_policiesProgramUnderCompat(tmp_path: Path) -> None:
    program = tmp_path / "idle.py"
    program.write_text(PROGRAM)
    done = runCompat(str(program))
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[:4] == [
        "nothing to read: None",
        "reactor is posix: True",
        "echo: b'hello\\n'",
        "timed out after 0.3",
    ]
    # The two ends learn of the close in either order.
    assert sorted(lines[4:]) == ["lost: ConnectionDone", "server wrappers left: 0"]
