"""Socket activation, the supervisor's half: open a listening socket, then become COMMAND.

Usage::

    python3 examples/socket_activate.py 127.0.0.1:PORT COMMAND...    # a TCP socket
    python3 examples/socket_activate.py PATH COMMAND...              # a UNIX socket

What systemd does for a ``.socket`` unit (and ``systemd-socket-activate
-l ADDRESS COMMAND...`` does by hand), in a few lines, following
sd_listen_fds(3): bind and listen on ADDRESS (PORT 0 picks a free port),
print ``listening on ADDRESS as 3``, put the socket on descriptor 3, set
``LISTEN_FDS=1`` (one socket, from descriptor 3 on) and ``LISTEN_PID`` (the
process it is meant for: this one, since ``exec`` keeps the pid), then
replace this process with COMMAND.  COMMAND inherits the socket already
listening: see examples/socket_activated.py, which adopts it with the
``systemd:`` endpoint string.
"""

import os
import socket
import sys

FIRST = 3  # SD_LISTEN_FDS_START: inherited sockets start at descriptor 3


def listeningSocket(address):
    """A socket bound to ADDRESS (``HOST:PORT`` or a path) and listening."""
    host, _, port = address.rpartition(":")
    if port.isdigit():
        return socket.create_server((host, int(port)))
    unix = socket.socket(socket.AF_UNIX)
    unix.bind(address)
    unix.listen(50)
    return unix


def main(argv):
    if len(argv) < 2:
        sys.exit(__doc__)
    listening = listeningSocket(argv[0])
    name = listening.getsockname()
    shown = f"{name[0]}:{name[1]}" if isinstance(name, tuple) else name
    print(f"listening on {shown} as {FIRST}", flush=True)
    if listening.fileno() != FIRST:
        os.dup2(listening.fileno(), FIRST)  # inheritable by default
        listening.close()
    else:
        os.set_inheritable(FIRST, True)  # Python opens descriptors close-on-exec
    os.environ["LISTEN_FDS"] = "1"
    os.environ["LISTEN_PID"] = str(os.getpid())
    os.execvp(argv[1], argv[1:])


if __name__ == "__main__":
    main(sys.argv[1:])
