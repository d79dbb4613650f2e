"""Make the throwaway certificates the TLS examples use (docs/tls.md).

Usage: python3 examples/tls_certificates.py DIRECTORY

Writes, with trustme (``pip install trustme``; a test dependency of plait):

* ``ca.pem``: a new certificate authority, the one thing clients trust;
* ``server.crt`` + ``server.key``: a certificate it signed for
  ``localhost``, ``127.0.0.1`` and ``::1``, and its private key;
* ``alice.crt`` + ``alice.key``: a client certificate it signed, for
  ``alice`` (``alice@example.com``).

The certificates that are not authorities end in ``.crt``, so that
``ca.pem`` is the only ``*.pem`` file in DIRECTORY: the ``tls:`` and
``ssl:`` endpoint strings read every ``*.pem`` file of a directory as a
certificate to trust (``trustRoots=`` / ``caCertsDir=``).  The files are for
trying things on 127.0.0.1; the authority's private key is not kept, so it
can sign nothing else.
"""

import os
import sys

import trustme


def main(directory):
    os.makedirs(directory, exist_ok=True)
    authority = trustme.CA(organization_name="plait examples")
    authority.cert_pem.write_to_path(os.path.join(directory, "ca.pem"))
    issued = {
        "server": authority.issue_cert("localhost", "127.0.0.1", "::1"),
        "alice": authority.issue_cert("alice@example.com", common_name="alice"),
    }
    for name, leaf in issued.items():
        leaf.cert_chain_pems[0].write_to_path(os.path.join(directory, name + ".crt"))
        leaf.private_key_pem.write_to_path(os.path.join(directory, name + ".key"))
    print("wrote ca.pem, server.crt, server.key, alice.crt, alice.key in", directory)


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: python3 examples/tls_certificates.py DIRECTORY")
    main(sys.argv[1])
