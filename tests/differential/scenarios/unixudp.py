"""UNIX sockets and UDP: callbacks, reasons, addresses, log lines and errors.

Stream scenarios record each side's callbacks (as network.py does for
TCP); datagram scenarios record what each protocol received.  Socket paths
live in a fresh temporary directory, shown as ``<dir>``; UDP ports bind 0
on 127.0.0.1 and are shown as ``<port>``.  Documented differences are left
out (docs/differences.md, "UNIX sockets and UDP"): the repr of an accepted
connection, messages plait adds to (sizes, "resolve first").
"""

import io
import os
import re
import tempfile

from _harness import describe, main, scenario
from twisted.internet import defer, error, interfaces, protocol
from twisted.python import log
from zope.interface import implementer

DIR = tempfile.mkdtemp(prefix="plait-diff-")


def shown(text):
    return str(text).replace(DIR, "<dir>")


def path(name):
    return os.path.join(DIR, name)


class Recorder(protocol.Protocol):
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
        if self.factory.done is not None:
            done, self.factory.done = self.factory.done, None
            done.callback(None)


class Factory(protocol.ClientFactory):
    noisy = False

    def __init__(self, events, side, onMade=None):
        self.events = events
        self.side = side
        self.onMade = onMade
        self.done = defer.Deferred()
        self.addresses = []

    def buildProtocol(self, addr):
        self.addresses.append(repr(addr))
        proto = Recorder()
        proto.factory = self
        proto.side = self.side
        proto.onMade = self.onMade
        return proto

    def clientConnectionFailed(self, connector, reason):
        self.events.append([self.side, "clientConnectionFailed", shown(describe(reason))])
        done, self.done = self.done, None
        done.callback(None)

    def clientConnectionLost(self, connector, reason):
        self.events.append([self.side, "clientConnectionLost", describe(reason)])


@defer.inlineCallbacks
def _pair(reactor, name, clientMade=None, serverMade=None):
    events = []
    server = Factory(events, "server", serverMade)
    client = Factory(events, "client", clientMade)
    port = reactor.listenUNIX(path(name), server)
    reactor.connectUNIX(path(name), client)
    yield defer.gatherResults([server.done, client.done])
    yield port.stopListening()
    bySide = {side: [e[1:] for e in events if e[0] == side] for side in ("client", "server")}
    return {"events": bySide, "serverSaw": server.addresses,
            "clientSaw": [shown(a) for a in client.addresses]}


@scenario
def unixConnectSendLose(reactor):
    def clientMade(proto):
        proto.transport.write(b"hello")

    def serverMade(proto):
        proto.dataReceived = lambda data: proto.transport.loseConnection()

    return _pair(reactor, "a.sock", clientMade, serverMade)


@scenario
def unixAbortIsAPlainEndForThePeer(reactor):
    def serverMade(proto):
        proto.transport.write(b"never sent")
        proto.transport.abortConnection()

    return _pair(reactor, "b.sock", None, serverMade)


@implementer(interfaces.IHalfCloseableProtocol)
class HalfCloser(Recorder):
    def readConnectionLost(self):
        self.factory.events.append([self.side, "readConnectionLost"])
        self.transport.write(b"bye")
        self.transport.loseConnection()

    def writeConnectionLost(self):
        self.factory.events.append([self.side, "writeConnectionLost"])


@scenario
def unixHalfClose(reactor):
    events = []
    server = Factory(events, "server")
    server.buildProtocol = lambda addr: _bind(HalfCloser(), server)
    client = Factory(events, "client", lambda proto: (proto.transport.write(b"hi"),
                                                      proto.transport.loseWriteConnection()))
    port = reactor.listenUNIX(path("c.sock"), server)
    reactor.connectUNIX(path("c.sock"), client)
    d = defer.gatherResults([server.done, client.done])
    d.addCallback(lambda _: port.stopListening())
    d.addCallback(lambda _: {s: [e[1:] for e in events if e[0] == s] for s in ("client", "server")})
    return d


def _bind(proto, factory):
    proto.factory = factory
    proto.side = factory.side
    return proto


@scenario
def unixAddresses(reactor):
    seen = {}
    done = defer.Deferred()

    def clientMade(proto):
        t = proto.transport
        seen["client"] = [shown(repr(t.getHost())), shown(repr(t.getPeer())), t.logstr]

    def serverMade(proto):
        t = proto.transport
        seen["server"] = [shown(repr(t.getHost())), shown(repr(t.getPeer())), t.logstr]
        t.loseConnection()

    d = _pair(reactor, "d.sock", clientMade, serverMade)
    d.addCallback(lambda result: done.callback(dict(seen, serverSaw=result["serverSaw"])))
    return done


@scenario
def unixConnectFailures(reactor):
    results = []
    leftover = path("leftover.sock")
    import socket

    s = socket.socket(socket.AF_UNIX)
    s.bind(leftover)
    s.close()
    attempts = []
    for target, checkPID in [(path("missing.sock"), 0), (leftover, 0), (leftover, 1)]:
        factory = Factory(results, target.replace(DIR, "<dir>") + (" checkPID" if checkPID else ""))
        reactor.connectUNIX(target, factory, checkPID=checkPID)
        attempts.append(factory.done)
    return defer.gatherResults(attempts).addCallback(lambda _: sorted(results))


@scenario
def unixListenErrors():
    port = None
    results = []
    from twisted.internet import reactor

    port = reactor.listenUNIX(path("busy.sock"), Factory([], "server"))
    for kwargs in ({}, {"wantPID": 1}):
        try:
            reactor.listenUNIX(path("busy.sock"), Factory([], "server"), **kwargs)
        except error.CannotListenError as e:
            results.append([type(e).__name__, shown(e)])
    try:
        reactor.listenUNIX(path("x" * 120), Factory([], "server"))
    except error.CannotListenError as e:
        results.append([type(e).__name__, shown(e)])
    d = port.stopListening()
    return d.addCallback(lambda _: results)


@scenario
def unixLockFile():
    from twisted.internet import reactor

    port = reactor.listenUNIX(path("locked.sock"), Factory([], "server"), wantPID=1)
    lock = os.readlink(path("locked.sock.lock")) == str(os.getpid())
    d = port.stopListening()
    return d.addCallback(lambda _: [lock, os.path.lexists(path("locked.sock.lock")),
                                    os.path.exists(path("locked.sock"))])


@scenario
def unixPortLogLines(reactor):
    out = io.StringIO()
    observer = log.FileLogObserver(out)
    observer.formatTime = lambda when: "T"
    log.addObserver(observer.emit)

    class Noisy(protocol.Factory):
        protocol = protocol.Protocol

    port = reactor.listenUNIX(path("log.sock"), Noisy())

    def done(_):
        log.removeObserver(observer.emit)
        return [re.sub(r"0x[0-9a-f]+", "0x?", shown(line)) for line in out.getvalue().splitlines()]

    return port.stopListening().addCallback(done)


# -- UDP ---------------------------------------------------------------------------------


class Echo(protocol.DatagramProtocol):
    def datagramReceived(self, datagram, addr):
        self.transport.write(datagram.upper(), addr)


class Collect(protocol.DatagramProtocol):
    def __init__(self, want):
        self.want = want
        self.got = []
        self.done = defer.Deferred()

    def datagramReceived(self, datagram, addr):
        self.got.append(datagram.decode())
        self._check()

    def connectionRefused(self):
        self.got.append("connectionRefused")
        self._check()

    def _check(self):
        if len(self.got) >= self.want and not self.done.called:
            self.done.callback(self.got)


@scenario
def udpConnectedEcho(reactor):
    server = reactor.listenUDP(0, Echo(), interface="127.0.0.1")
    client = Collect(2)
    port = reactor.listenUDP(0, client, interface="127.0.0.1")
    port.connect("127.0.0.1", server.getHost().port)
    port.write(b"one")
    port.write(b"two")
    host = server.getHost()
    facts = [type(host).__name__, host.type, host.host, port.logPrefix(), server.logPrefix()]

    def finish(got):
        return defer.gatherResults([port.stopListening(), server.stopListening()]).addCallback(
            lambda _: [got, facts])

    return client.done.addCallback(finish)


# No scenario for an ICMP refusal in connected mode: under Twisted's default
# (epoll) reactor the error event closes the port and connectionRefused is
# never called; its select reactor and plait call connectionRefused
# (docs/differences.md, "UNIX sockets and UDP"; tests/integration/test_udp.py).


@scenario
def udpAddressErrors(reactor):
    results = []
    port = reactor.listenUDP(0, Echo(), interface="127.0.0.1")
    v6 = reactor.listenUDP(0, Echo(), interface="::1")
    calls = [
        lambda: port.write(b"x", ("::1", 5)),
        lambda: v6.write(b"x", ("127.0.0.1", 5)),
        lambda: port.connect("127.0.0.1", 5) or port.connect("127.0.0.1", 6),
    ]
    for call in calls:
        try:
            call()
        except (ValueError, RuntimeError) as e:
            results.append([type(e).__name__, str(e)])
    # Twisted's text first; plait appends a "Resolve the name first" hint (documented).
    for call in [lambda: v6.write(b"x", ("localhost", 5)),
                 lambda: reactor.listenUDP(0, Echo(), interface="localhost")]:
        try:
            call()
        except error.InvalidAddressError as e:
            results.append([type(e).__name__, e.address, e.message.split(" Resolve the name first")[0].rstrip(".")])
    return defer.gatherResults([port.stopListening(), v6.stopListening()]).addCallback(
        lambda _: results)


@scenario
def udpPortLogLines(reactor):
    out = io.StringIO()
    observer = log.FileLogObserver(out)
    observer.formatTime = lambda when: "T"
    log.addObserver(observer.emit)
    port = reactor.listenUDP(0, Echo(), interface="127.0.0.1")
    number = port.getHost().port

    def done(_):
        log.removeObserver(observer.emit)
        text = out.getvalue().replace(str(number), "<port>")
        return [re.sub(r"0x[0-9a-f]+", "0x?", line) for line in text.splitlines()]

    return port.stopListening().addCallback(done)


class Connected(protocol.ConnectedDatagramProtocol):
    def __init__(self):
        self.got = defer.Deferred()

    def datagramReceived(self, datagram):
        if not self.got.called:
            self.got.callback(datagram.decode())


@scenario
def unixDatagramExchange(reactor):
    server = reactor.listenUNIXDatagram(path("dgram.sock"), Echo())
    client = Connected()
    port = reactor.connectUNIXDatagram(path("dgram.sock"), client, bindAddress=path("me.sock"))
    port.write(b"datagram")
    facts = [shown(repr(port.getHost())), shown(repr(port.getPeer())),
             shown(repr(server.getHost())), server.logPrefix()]

    def finish(got):
        return defer.gatherResults([port.stopListening(), server.stopListening()]).addCallback(
            lambda _: [got, facts])

    return client.got.addCallback(finish)


if __name__ == "__main__":
    main()
