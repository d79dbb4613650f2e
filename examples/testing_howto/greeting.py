"""The client the testing howto tests: fetch the line a server greets you with.

Usage: python3 examples/testing_howto/greeting.py HOST PORT

Start a server that greets first (``python3 examples/howto_server.py
1234``), then run this: it prints the greeting, or why there is none (a
refused connection, no greeting within 10 seconds, a greeting that is not
UTF-8), and ends.

``fetchGreeting(reactor, host, port, timeout)`` returns a Deferred that
fires with the greeting once the connection is closed again, so that a
caller (a test, in particular) that has the result has nothing left open.
Everything it needs from the outside comes in as an argument -- the
reactor, which is also the clock the timeout runs on -- which is what lets
docs/testing.md test it without a network and without waiting.
"""

import sys

from plait.defer import Deferred
from plait.error import TimeoutError
from plait.protocol import ClientFactory
from plait.protocols.basic import LineReceiver


class GreetingProtocol(LineReceiver):
    """Reads the first line, then hangs up; gives up after ``timeout`` seconds of ``clock``."""

    delimiter = b"\n"

    def __init__(self, clock, timeout, whenDone):
        self.clock = clock
        self.timeout = timeout
        self.whenDone = whenDone
        self.greeting = None
        self.failure = None

    def connectionMade(self):
        self.timer = self.clock.callLater(self.timeout, self.tooSlow)

    def lineReceived(self, line):
        # A greeting that is not UTF-8 raises here: the reactor logs the
        # exception and closes the connection, with it as the reason.
        self.greeting = line.rstrip(b"\r").decode("utf-8")
        self.transport.loseConnection()

    def tooSlow(self):
        self.failure = TimeoutError(f"no greeting within {self.timeout} seconds")
        self.transport.abortConnection()

    def connectionLost(self, reason):
        if self.timer.active():
            self.timer.cancel()
        if self.greeting is not None:
            self.whenDone.callback(self.greeting)
        else:
            self.whenDone.errback(self.failure or reason)


class GreetingFactory(ClientFactory):
    def __init__(self, clock, timeout):
        self.clock = clock
        self.timeout = timeout
        self.greeting = Deferred()

    def buildProtocol(self, addr):
        protocol = GreetingProtocol(self.clock, self.timeout, self.greeting)
        protocol.factory = self
        return protocol

    def clientConnectionFailed(self, connector, reason):
        self.greeting.errback(reason)


def fetchGreeting(reactor, host, port, timeout=10):
    """A Deferred of the server's greeting (text), fired once the connection is closed."""
    factory = GreetingFactory(reactor, timeout)
    reactor.connectTCP(host, port, factory, timeout=timeout)
    return factory.greeting


def main(host, port):
    from plait import reactor

    d = fetchGreeting(reactor, host, port)
    d.addCallbacks(lambda greeting: print("greeting:", greeting),
                   lambda failure: print("no greeting:", failure.getErrorMessage()))
    d.addBoth(lambda _: reactor.stop())
    reactor.run()


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit("usage: python3 examples/testing_howto/greeting.py HOST PORT")
    main(sys.argv[1], int(sys.argv[2]))
