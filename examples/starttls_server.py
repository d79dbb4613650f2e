"""A line server that switches to TLS when the client asks (STARTTLS).

Usage: python3 examples/starttls_server.py PORT CERT_FILE KEY_FILE

Speaks plain text until a client sends ``STARTTLS``: it answers ``READY``
(the last line sent in clear), calls ``transport.startTLS`` with its
certificate, and from then on the same connection is encrypted.  It echoes
every line as ``echo: <line>``, saying whether the line came in clear or
over TLS.  CERT_FILE and KEY_FILE are ``server.crt`` and ``server.key``
from ``python3 examples/tls_certificates.py DIRECTORY``.  Prints
``listening on <port>`` once ready (PORT 0 picks a free port).
"""

import sys

from plait import reactor, ssl
from plait.protocol import Factory
from plait.protocols.basic import LineReceiver


class StartTLSServer(LineReceiver):
    delimiter = b"\n"
    secure = False

    def lineReceived(self, line):
        line = line.rstrip(b"\r")
        if line == b"STARTTLS" and not self.secure:
            self.sendLine(b"READY")
            # The bytes written so far leave in clear; everything after this
            # call, both ways, is TLS (the client starts its side on READY).
            self.transport.startTLS(self.factory.options)
            self.secure = True
        else:
            how = b"over TLS" if self.secure else b"in clear"
            self.sendLine(b"echo (" + how + b"): " + line)


def main(argv):
    if len(argv) != 4:
        sys.exit("usage: python3 examples/starttls_server.py PORT CERT_FILE KEY_FILE")
    port, certFile, keyFile = int(argv[1]), argv[2], argv[3]
    with open(certFile, "rb") as cert, open(keyFile, "rb") as key:
        identity = ssl.PrivateCertificate.loadPEM(cert.read() + key.read())
    factory = Factory.forProtocol(StartTLSServer)
    factory.options = identity.options()
    listening = reactor.listenTCP(port, factory, interface="127.0.0.1")
    print("listening on", listening.getHost().port, flush=True)
    reactor.run()


if __name__ == "__main__":
    main(sys.argv)
