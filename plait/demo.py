"""plait's main demonstration: the "Writing Clients" howto, in one process.

Run it with ``python3 -m plait.demo``.  It starts the howto server on a free
loopback port (``listenTCP``), then runs each client of Twisted's "Writing
Clients" howto against it, one after the other, printing what each does:

1. ``EchoClientFactory`` with ``reactor.connectTCP``, printing its states;
2. ``WelcomeMessage``, which greets and hangs up;
3. ``Greeter`` through ``TCP4ClientEndpoint`` + ``connectProtocol`` + ``callLater``;
4. the same ``Greeter`` through ``ClientCreator``;
5. a factory that reconnects with ``connector.connect()`` after the server drops it;
6. ``ReconnectingClientFactory``, with back-off and ``resetDelay()``;
7. a refused connection, to show ``clientConnectionFailed``.

Each step returns a Deferred that fires when that client is finished, so the
whole tour is one Deferred chain; the reactor stops at the end.  The same
programs exist as stand-alone scripts in ``examples/``.

This module is a program, not library code: it imports the global reactor.
Tests: tests/integration/test_examples.py (runs it as a subprocess).
"""

from __future__ import annotations

import socket
import sys
from collections.abc import Callable
from typing import Any

from plait.defer import Deferred
from plait.endpoints import TCP4ClientEndpoint, connectProtocol
from plait.failure import Failure
from plait.protocol import (
    ClientCreator,
    ClientFactory,
    Factory,
    Protocol,
    ReconnectingClientFactory,
)
from plait.protocols.basic import LineReceiver


def say(step: str, *words: object) -> None:
    print(f"[{step}]", *words, flush=True)


# -- the server ------------------------------------------------------------


class HowtoServer(LineReceiver):
    """Greets, echoes lines, and (if its factory says so) drops the client."""

    delimiter = b"\n"

    def connectionMade(self) -> None:
        self.sendLine(b"Hello from the howto server")
        self._drop = None
        if self.factory.dropAfter is not None:
            self._drop = self.factory.reactor.callLater(
                self.factory.dropAfter, self.transport.loseConnection
            )

    def lineReceived(self, line: bytes) -> None:
        self.sendLine(b"echo: " + line.rstrip(b"\r"))

    def connectionLost(self, reason: Failure = None) -> None:  # type: ignore[assignment]
        if self._drop is not None and self._drop.active():
            self._drop.cancel()


class HowtoServerFactory(Factory[HowtoServer]):
    protocol = HowtoServer
    noisy = False

    def __init__(self, reactor: Any, dropAfter: float | None = None) -> None:
        self.reactor = reactor
        self.dropAfter = dropAfter


# -- the clients -------------------------------------------------------------


class Printer(Protocol):
    """Copies what arrives to stdout, line by line, under a step label."""

    step = "?"

    def dataReceived(self, data: bytes) -> None:
        for line in data.decode("utf-8", "replace").splitlines():
            say(self.step, "received:", line)


class Chatty(Printer):
    """Says hello once connected, then hangs up a moment later."""

    step = "1 ClientFactory"

    def __init__(self, reactor: Any) -> None:
        self.reactor = reactor

    def connectionMade(self) -> None:
        self.transport.write(b"hello\n")
        self.reactor.callLater(0.3, self.transport.loseConnection)


class EchoClientFactory(ClientFactory[Protocol]):
    """Step 1: the howto's factory that prints every state it goes through."""

    def __init__(self, reactor: Any, done: Deferred[None]) -> None:
        self.reactor, self.done = reactor, done

    def startedConnecting(self, connector: Any) -> None:
        say("1 ClientFactory", "Started to connect.")

    def buildProtocol(self, addr: Any) -> Protocol:
        say("1 ClientFactory", "Connected.")
        return Chatty(self.reactor)

    def clientConnectionLost(self, connector: Any, reason: Failure) -> None:
        say("1 ClientFactory", "Lost connection.  Reason:", reason.getErrorMessage())
        self.done.callback(None)

    def clientConnectionFailed(self, connector: Any, reason: Failure) -> None:
        say("1 ClientFactory", "Connection failed. Reason:", reason.getErrorMessage())
        self.done.callback(None)


class WelcomeMessage(Protocol):
    """Step 2: greet the server and hang up at once."""

    def connectionMade(self) -> None:
        say("2 WelcomeMessage", "connected; sending the welcome and hanging up")
        self.transport.write(b"Hello server, I am the client!\r\n")
        self.transport.loseConnection()

    def connectionLost(self, reason: Failure = None) -> None:  # type: ignore[assignment]
        say("2 WelcomeMessage", "closed:", reason.getErrorMessage())
        self.factory.done.callback(None)


class WelcomeFactory(ClientFactory[WelcomeMessage]):
    """Step 2's factory: keeps the Deferred the protocol fires when it is gone."""

    noisy = False

    def __init__(self) -> None:
        self.done: Deferred[None] = Deferred()


class Greeter(Printer):
    """Steps 3 and 4: send a message now and another one a little later."""

    finished: Deferred[None]

    def sendMessage(self, msg: bytes) -> None:
        say(self.step, "sending:", msg.decode())
        self.transport.write(b"MESSAGE %s\n" % msg)

    def connectionLost(self, reason: Failure = None) -> None:  # type: ignore[assignment]
        say(self.step, "closed:", reason.getErrorMessage())
        self.finished.callback(None)


class Reconnector(ClientFactory[Protocol]):
    """Step 5: reconnect with ``connector.connect()`` from clientConnectionLost."""

    protocol = Printer

    def __init__(self, done: Deferred[None], connections: int) -> None:
        self.done, self.remaining = done, connections

    def buildProtocol(self, addr: Any) -> Protocol:
        p = Printer()
        p.step = "5 connector.connect()"
        return p

    def clientConnectionLost(self, connector: Any, reason: Failure) -> None:
        self.remaining -= 1
        say("5 connector.connect()", f"lost ({reason.getErrorMessage()}); {self.remaining} to go")
        if self.remaining:
            connector.connect()
        else:
            self.done.callback(None)

    def clientConnectionFailed(self, connector: Any, reason: Failure) -> None:
        say("5 connector.connect()", "failed:", reason.getErrorMessage())
        self.done.callback(None)


class Backoff(ReconnectingClientFactory[Protocol]):
    """Step 6: ReconnectingClientFactory, as in the howto (with short delays)."""

    initialDelay = delay = 0.1

    def __init__(self, done: Deferred[None], connections: int) -> None:
        self.done, self.remaining = done, connections

    def startedConnecting(self, connector: Any) -> None:
        say("6 ReconnectingClientFactory", "Started to connect.")

    def buildProtocol(self, addr: Any) -> Protocol:
        say("6 ReconnectingClientFactory", "Connected.  Resetting reconnection delay")
        self.resetDelay()
        p = Printer()
        p.step = "6 ReconnectingClientFactory"
        return p

    def clientConnectionLost(self, connector: Any, reason: Failure) -> None:
        say("6 ReconnectingClientFactory", "Lost connection.  Reason:", reason.getErrorMessage())
        self.remaining -= 1
        if not self.remaining:
            self.stopTrying()
            self.done.callback(None)
            return
        ReconnectingClientFactory.clientConnectionLost(self, connector, reason)


class Refused(ClientFactory[Protocol]):
    """Step 7: nobody listens there, so clientConnectionFailed is called."""

    def __init__(self, done: Deferred[None]) -> None:
        self.done = done

    def clientConnectionFailed(self, connector: Any, reason: Failure) -> None:
        say("7 refused", "clientConnectionFailed:", reason.getErrorMessage())
        self.done.callback(None)


# -- the tour ----------------------------------------------------------------


def _runStep(_: None, step: Callable[[], Deferred[None]]) -> Deferred[None]:
    return step()


def tour(reactor: Any) -> Deferred[None]:
    """Start the servers and run every step in turn; fires when all are done."""
    port = reactor.listenTCP(0, HowtoServerFactory(reactor), interface="127.0.0.1").getHost().port
    dropping = reactor.listenTCP(0, HowtoServerFactory(reactor, 0.2), interface="127.0.0.1")
    dropPort = dropping.getHost().port
    print(f"howto server listening on 127.0.0.1:{port} (and a dropping one on {dropPort})")

    def step1() -> Deferred[None]:
        done: Deferred[None] = Deferred()
        reactor.connectTCP("127.0.0.1", port, EchoClientFactory(reactor, done))
        return done

    def step2() -> Deferred[None]:
        factory = WelcomeFactory.forProtocol(WelcomeMessage)
        reactor.connectTCP("127.0.0.1", port, factory)
        return factory.done

    def greet(step: str, connected: Deferred[Any]) -> Deferred[None]:
        finished: Deferred[None] = Deferred()

        def gotProtocol(p: Greeter) -> Deferred[None]:
            p.step, p.finished = step, finished
            p.sendMessage(b"Hello")
            reactor.callLater(0.2, p.sendMessage, b"This is sent a moment later")
            reactor.callLater(0.4, p.transport.loseConnection)
            return finished

        return connected.addCallback(gotProtocol)

    def step3() -> Deferred[None]:
        endpoint = TCP4ClientEndpoint(reactor, "127.0.0.1", port)
        return greet("3 connectProtocol", connectProtocol(endpoint, Greeter()))

    def step4() -> Deferred[None]:
        creator = ClientCreator(reactor, Greeter)
        return greet("4 ClientCreator", creator.connectTCP("127.0.0.1", port))

    def step5() -> Deferred[None]:
        done: Deferred[None] = Deferred()
        reactor.connectTCP("127.0.0.1", dropPort, Reconnector(done, 3))
        return done

    def step6() -> Deferred[None]:
        done: Deferred[None] = Deferred()
        factory = Backoff(done, 2)
        factory.noisy = False
        factory.clock = reactor
        reactor.connectTCP("127.0.0.1", dropPort, factory)
        return done

    def step7() -> Deferred[None]:
        done: Deferred[None] = Deferred()
        # A socket bound but not listening: connecting to it is refused.
        closed = socket.socket()
        closed.bind(("127.0.0.1", 0))
        refusedPort = closed.getsockname()[1]
        reactor.connectTCP("127.0.0.1", refusedPort, Refused(done))

        def release(result: object) -> object:
            closed.close()
            return result

        done.addBoth(release)
        return done

    steps: list[Callable[[], Deferred[None]]] = [step1, step2, step3, step4, step5, step6, step7]
    d: Deferred[None] = Deferred()
    for step in steps:
        d.addCallback(_runStep, step)

    def cleanUp(result: Any) -> Any:
        dropping.stopListening()
        return result

    d.addBoth(cleanUp)
    d.callback(None)
    return d


def main() -> None:
    from plait import reactor as installed

    reactor: Any = installed

    outcome: list[Any] = []

    def finished(result: Any) -> None:
        outcome.append(result)
        if isinstance(result, Failure):
            print("The tour failed:", result.getTraceback(), file=sys.stderr)
        else:
            print("All howto clients ran.")
        reactor.stop()

    reactor.callWhenRunning(lambda: tour(reactor).addBoth(finished))
    reactor.run()
    sys.exit(1 if not outcome or isinstance(outcome[0], Failure) else 0)


if __name__ == "__main__":
    main()
