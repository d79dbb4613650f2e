"""The standard library's own TLS costs, and plait's TLS layer against them.

Usage: ``python -m bench.tlsfloor [MiB]`` (default 128).  Prints, in CPU
time of this process (``time.process_time``), with no sockets and no other
process involved:

* one TLS 1.3 handshake over memory BIOs (``ssl.SSLObject``, ECDSA P-256
  from trustme), client and server side apart: the floor for the TLS
  handshake rows;
* decrypting MiB of 64 KiB writes with a bare loop of ``MemoryBIO.write``
  and ``SSLObject.read`` calls: the floor for a TLS receiver;
* plait's ``TLSMemoryBIOProtocol`` receiving the same amount (fed the
  client's ciphertext in 64 KiB segments on a memory transport), and the
  difference per segment: what plait's TLS layer adds to the floor.

bench/README.md quotes its output (TLS, "where plait's time goes").
"""

from __future__ import annotations

import ssl
import sys
import time
from typing import Any

import trustme

from plait import ssl as plaitssl
from plait.address import IPv4Address
from plait.protocol import Factory, Protocol
from plait.task import Clock
from plait.testing import StringTransport
from plait.tls import TLSMemoryBIOFactory

CHUNK = b"x" * 65536
ADDRESS = IPv4Address("TCP", "127.0.0.1", 4321)


def _stdlibPair(ca: trustme.CA, leaf: Any) -> tuple[Any, Any, Any, Any, Any, Any]:
    server = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    leaf.configure_cert(server)
    client = ssl.create_default_context()
    ca.configure_trust(client)
    ci, co, si, so = ssl.MemoryBIO(), ssl.MemoryBIO(), ssl.MemoryBIO(), ssl.MemoryBIO()
    c = client.wrap_bio(ci, co, server_hostname="localhost")
    s = server.wrap_bio(si, so, server_side=True)
    return c, s, ci, co, si, so


def handshake(ca: trustme.CA, leaf: Any, count: int = 300) -> tuple[float, float]:
    """CPU seconds per handshake: (client side, server side)."""
    clientTime = serverTime = 0.0
    for _ in range(count):
        c, s, ci, co, si, so = _stdlibPair(ca, leaf)
        for _ in range(4):
            began = time.process_time()
            try:
                c.do_handshake()
            except ssl.SSLWantReadError:
                pass
            clientTime += time.process_time() - began
            si.write(co.read())
            began = time.process_time()
            try:
                s.do_handshake()
            except ssl.SSLWantReadError:
                pass
            serverTime += time.process_time() - began
            ci.write(so.read())
    return clientTime / count, serverTime / count


def bareReceive(ca: trustme.CA, leaf: Any, chunks: int) -> float:
    c, s, ci, co, si, so = _stdlibPair(ca, leaf)
    for _ in range(4):
        for end, inbox, outbox in ((c, si, co), (s, ci, so)):
            try:
                end.do_handshake()
            except ssl.SSLWantReadError:
                pass
            inbox.write(outbox.read())
    for _ in range(chunks):
        c.write(CHUNK)
    wire = co.read()
    segments = [wire[i:i + 65536] for i in range(0, len(wire), 65536)]
    read, write, received = s.read, si.write, 0
    began = time.process_time()
    for segment in segments:
        write(segment)
        while True:
            try:
                received += len(read(65536))
            except ssl.SSLWantReadError:
                break
    elapsed = time.process_time() - began
    assert received == chunks * len(CHUNK)
    return elapsed


class _Count(Protocol):
    received = 0

    def dataReceived(self, data: bytes) -> None:
        self.received += len(data)


def plaitReceive(ca: trustme.CA, leaf: Any, chunks: int) -> tuple[float, int]:
    """CPU seconds for plait's TLS layer to receive ``chunks`` × 64 KiB, and the segment count."""
    identity = plaitssl.PrivateCertificate.loadPEM(leaf.private_key_and_cert_chain_pem.bytes())
    trust = plaitssl.Certificate.loadPEM(ca.cert_pem.bytes())
    clock, sink = Clock(), _Count()
    server = TLSMemoryBIOFactory(identity.options(), False, Factory.forProtocol(lambda: sink),
                                 clock).buildProtocol(ADDRESS)
    client = TLSMemoryBIOFactory(plaitssl.optionsForClientTLS("localhost", trust), True,
                                 Factory.forProtocol(Protocol), clock).buildProtocol(ADDRESS)
    serverWire, clientWire = StringTransport(), StringTransport()
    server.makeConnection(serverWire)
    client.makeConnection(clientWire)
    for _ in range(10):  # the handshake, moved by hand
        clock.advance(0)
        for wire, peer in ((clientWire, server), (serverWire, client)):
            data = wire.value()
            wire.clear()
            if data:
                peer.dataReceived(data)
    for _ in range(chunks):
        client.write(CHUNK)
    clock.advance(0)
    wire = clientWire.value()
    segments = [wire[i:i + 65536] for i in range(0, len(wire), 65536)]
    began = time.process_time()
    for segment in segments:
        server.dataReceived(segment)
    elapsed = time.process_time() - began
    assert sink.received == chunks * len(CHUNK), sink.received
    return elapsed, len(segments)


def main(argv: list[str]) -> int:
    mib = int(argv[0]) if argv else 128
    chunks = mib * 16
    ca = trustme.CA()
    leaf = ca.issue_cert("localhost", "127.0.0.1")
    client, server = handshake(ca, leaf)
    print(f"stdlib handshake (TLS 1.3, ECDSA P-256): client {client * 1e6:.0f} µs, "
          f"server {server * 1e6:.0f} µs of CPU")
    for _ in range(3):
        bare = bareReceive(ca, leaf, chunks)
        layer, segments = plaitReceive(ca, leaf, chunks)
        print(f"receive {mib} MiB in {segments} segments: bare stdlib {bare * 1e3:.0f} ms, "
              f"plait's TLS layer {layer * 1e3:.0f} ms, plait's own cost "
              f"{(layer - bare) / segments * 1e6:.1f} µs per segment")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
