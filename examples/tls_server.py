"""The howto server (examples/howto_server.py) over TLS, for examples/tls_client.py.

    python3 examples/tls_server.py PORT CERT_FILE KEY_FILE

Greets each client, then echoes every line as ``echo: <line>``, encrypted.
CERT_FILE and KEY_FILE are PEM files (``server.pem`` and ``server.key`` from
``python3 -m trustme``).  Prints ``listening on <port>`` once ready (PORT 0
picks a free port).
"""

from __future__ import annotations

import os
import sys

# howto_server.py sits next to this file; make it importable from anywhere.
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from howto_server import HowtoServerFactory

from plait import reactor, ssl


def main(argv: list[str]) -> None:
    if len(argv) != 4:
        sys.exit("usage: python3 examples/tls_server.py PORT CERT_FILE KEY_FILE")
    port, certFile, keyFile = int(argv[1]), argv[2], argv[3]
    with open(certFile, "rb") as cert, open(keyFile, "rb") as key:
        identity = ssl.PrivateCertificate.loadPEM(cert.read() + key.read())
    listening = reactor.listenSSL(port, HowtoServerFactory(), identity.options(), interface="127.0.0.1")
    print("listening on", listening.getHost().port, flush=True)
    reactor.run()


if __name__ == "__main__":
    main(sys.argv)
