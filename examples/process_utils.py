"""Run a program and get a Deferred of what it did: ``plait.utils``.

Usage: python3 examples/process_utils.py

Needs nothing else running.  Each call of ``plait.utils`` starts a child
process with ``spawnProcess`` and returns a Deferred: of its output
(``getProcessOutput``), of its exit code (``getProcessValue``), or of both
and its stderr (``getProcessOutputAndValue``).  As in Twisted, ``args``
leaves out the program's name, and the child gets an empty environment
unless you pass ``env``.  The last steps show the two ways these calls
fail: stderr output ``getProcessOutput`` was not told to expect, and a
program that cannot be started.  Every result is printed; the exit
status is 0.
"""

from plait import task, utils

SCRIPT = "echo to stdout; echo to stderr >&2; exit 3"


async def main(reactor):
    out = await utils.getProcessOutput("echo", ["hello", "world"])
    print("getProcessOutput:", out)

    code = await utils.getProcessValue("sh", ["-c", "exit 3"])
    print("getProcessValue:", code)

    out, err, code = await utils.getProcessOutputAndValue("sh", ["-c", SCRIPT])
    print("getProcessOutputAndValue:", out, err, code)

    out, err, code = await utils.getProcessOutputAndValue("tr", ["a-z", "A-Z"], stdinBytes=b"fed to stdin\n")
    print("with stdinBytes:", out)

    both = await utils.getProcessOutput("sh", ["-c", SCRIPT], errortoo=True)
    print("errortoo=True:", sorted(both.splitlines()))

    try:
        await utils.getProcessOutput("sh", ["-c", SCRIPT])
    except OSError as e:
        # The Deferred fails on the first byte of stderr; e.processEnded is a
        # Deferred that fails with how the child ended, once it has.
        print("stderr without errortoo:", e)
        try:
            await e.processEnded
        except Exception as ended:  # noqa: BLE001 - ProcessDone or ProcessTerminated
            print("  and then:", ended)

    try:
        utils.getProcessValue("/no/such/program")
    except OSError as e:
        print("a program that cannot start raises at once:", e)


task.react(main)
