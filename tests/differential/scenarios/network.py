"""TCP on loopback: connect, refuse, timeout, lose, abort, half-close, log lines.

Each scenario records the sequence of protocol and factory callbacks, on
both sides, with the reasons' class and message, in the order they
happened.
"""

import io
import re

from _harness import describe, main, normalise, scenario
from twisted.internet import defer, error, interfaces, protocol
from twisted.internet.interfaces import IResolverSimple
from twisted.python import log
from zope.interface import implementer


class Recorder(protocol.Protocol):
    """Records its callbacks into ``self.factory.events`` as (side, what)."""

    side = "?"
    onMade = None

    def connectionMade(self):
        self.factory.events.append([self.side, "connectionMade"])
        if self.onMade is not None:
            self.onMade(self)

    def dataReceived(self, data):
        self.factory.events.append([self.side, "dataReceived", data.decode()])

    def connectionLost(self, reason):
        self.factory.events.append([self.side, "connectionLost", describe(reason)])
        self.factory.lost.append(self.side)
        if self.factory.done is not None and len(self.factory.lost) >= self.factory.expected:
            done, self.factory.done = self.factory.done, None
            done.callback(None)


class Factory(protocol.ClientFactory):
    noisy = False

    def __init__(self, events, side, onMade=None, expected=1, done=None):
        self.events = events
        self.side = side
        self.onMade = onMade
        self.lost = []
        self.expected = expected
        self.done = done

    def buildProtocol(self, addr):
        proto = Recorder()
        proto.factory = self
        proto.side = self.side
        proto.onMade = self.onMade
        return proto

    def clientConnectionFailed(self, connector, reason):
        self.events.append([self.side, "clientConnectionFailed", describe(reason)])
        if self.done is not None:
            done, self.done = self.done, None
            done.callback(None)

    def clientConnectionLost(self, connector, reason):
        self.events.append([self.side, "clientConnectionLost", describe(reason)])


@defer.inlineCallbacks
def _pair(reactor, clientMade=None, serverMade=None):
    """Run one connection on loopback until both ends are gone; the events."""
    events = []
    both = defer.Deferred()
    server = Factory(events, "server", serverMade)
    client = Factory(events, "client", clientMade)
    server.expected = 1
    gone = []

    def oneGone(_):
        gone.append(1)
        if len(gone) == 2:
            both.callback(None)

    server.done, client.done = defer.Deferred(), defer.Deferred()
    server.done.addCallback(oneGone)
    client.done.addCallback(oneGone)
    port = reactor.listenTCP(0, server, interface="127.0.0.1")
    reactor.connectTCP("127.0.0.1", port.getHost().port, client)
    yield both
    yield port.stopListening()
    return events


def _bySide(events):
    """Each side's events in order (the interleaving of the two sides is timing)."""
    return {side: [e[1:] for e in events if e[0] == side] for side in ("client", "server")}


@scenario
def connectSendLose(reactor):
    def clientMade(proto):
        proto.transport.write(b"hello")

    def serverMade(proto):
        proto.dataReceived = lambda data: (proto.factory.events.append(["server", "got", data.decode()]),
                                           proto.transport.loseConnection())

    return _pair(reactor, clientMade, serverMade).addCallback(_bySide)


@scenario
def clientLosesInConnectionMade(reactor):
    return _pair(reactor, lambda proto: proto.transport.loseConnection()).addCallback(_bySide)


@scenario
def serverAborts(reactor):
    def serverMade(proto):
        proto.transport.write(b"never sent")
        proto.transport.abortConnection()

    return _pair(reactor, None, serverMade).addCallback(_bySide)


@scenario
def clientAbortsInConnectionMade(reactor):
    return _pair(reactor, lambda proto: proto.transport.abortConnection()).addCallback(_bySide)


@implementer(interfaces.IHalfCloseableProtocol)
class HalfCloser(Recorder):
    def readConnectionLost(self):
        self.factory.events.append([self.side, "readConnectionLost"])
        self.transport.write(b"bye")
        self.transport.loseConnection()

    def writeConnectionLost(self):
        self.factory.events.append([self.side, "writeConnectionLost"])


@scenario
def halfClose(reactor):
    events = []
    done = defer.Deferred()
    gone = []

    class ServerFactory(Factory):
        def buildProtocol(self, addr):
            proto = HalfCloser()
            proto.factory, proto.side = self, "server"
            return proto

    def clientMade(proto):
        proto.transport.write(b"question")
        proto.transport.loseWriteConnection()

    class ClientFactory(Factory):
        def buildProtocol(self, addr):
            proto = HalfCloser()
            proto.factory, proto.side, proto.onMade = self, "client", clientMade
            return proto

    def oneGone(_):
        gone.append(1)
        if len(gone) == 2:
            done.callback(None)

    server, client = ServerFactory(events, "server"), ClientFactory(events, "client")
    server.done, client.done = defer.Deferred(), defer.Deferred()
    server.done.addCallback(oneGone)
    client.done.addCallback(oneGone)
    port = reactor.listenTCP(0, server, interface="127.0.0.1")
    reactor.connectTCP("127.0.0.1", port.getHost().port, client)
    done.addCallback(lambda _: port.stopListening())
    return done.addCallback(lambda _: _bySide(events))


@scenario
def refused(reactor):
    events = []
    done = defer.Deferred()
    port = reactor.listenTCP(0, protocol.Factory(), interface="127.0.0.1")
    number = port.getHost().port

    def closed(_):
        reactor.connectTCP("127.0.0.1", number, Factory(events, "client", done=done))
        return done

    port.stopListening().addCallback(closed)
    return done.addCallback(lambda _: [normalise(str(e), number) for e in events])


@implementer(IResolverSimple)
class NeverAnswers:
    def getHostByName(self, name, timeout=()):
        return defer.Deferred()


@scenario
def connectTimeout(reactor):
    """A name that never resolves: the connect timeout fails the attempt."""
    events = []
    done = defer.Deferred()
    previous = reactor.installResolver(NeverAnswers())
    connector = reactor.connectTCP("never.example", 80, Factory(events, "client", done=done), timeout=0.05)

    def finished(_):
        reactor.installResolver(previous)
        return {"events": events, "state": connector.state}

    return done.addCallback(finished)


@scenario
def stopConnecting(reactor):
    events = []
    connector = reactor.connectTCP("127.0.0.1", 9, Factory(events, "client"))
    connector.stopConnecting()
    try:
        connector.stopConnecting()
    except error.NotConnectingError as e:
        events.append(["again", describe(e)])
    return events


@scenario
def logPrefixes(reactor):
    out = io.StringIO()
    observer = log.FileLogObserver(out)
    observer.formatTime = lambda when: "T"
    log.addObserver(observer.emit)

    def clientMade(proto):
        log.msg("client connectionMade")
        proto.transport.write(b"x")

    def serverMade(proto):
        log.msg("server connectionMade")

        def received(data):
            log.msg("server got", data)
            proto.transport.loseConnection()

        proto.dataReceived = received

    def done(events):
        log.removeObserver(observer.emit)
        lines = [line for line in out.getvalue().splitlines() if "Closed)" not in line]
        return sorted(re.sub(r"starting on \d+", "starting on <port>", line) for line in lines)

    return _pair(reactor, clientMade, serverMade).addCallback(done)


class BrokenStop(protocol.Factory):
    noisy = False

    def stopFactory(self):
        raise RuntimeError("stopFactory failed")


@scenario
def stopListeningWhenStopFactoryRaises(reactor):
    port = reactor.listenTCP(0, BrokenStop(), interface="127.0.0.1")
    outcome = []
    d = port.stopListening()
    d.addCallbacks(lambda r: outcome.append(["callback", r]), lambda f: outcome.append(["errback", describe(f)]))

    def check(_):
        outcome.append(["connected", bool(port.connected)])
        return outcome

    waited = defer.Deferred()
    reactor.callLater(0.05, waited.callback, None)
    return waited.addCallback(check)


if __name__ == "__main__":
    main()
