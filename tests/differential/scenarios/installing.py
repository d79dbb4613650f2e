"""twisted.internet.main.installReactor, as programs and Twisted's test helpers use it."""

import sys

from _harness import describe, mainWithoutReactor, scenario


@scenario
def installReactorSemantics():
    from twisted.internet import error, main

    seen = []
    from twisted.internet import reactor as first

    try:
        main.installReactor(object())
    except error.ReactorAlreadyInstalledError as e:
        seen.append(describe(e))
    import twisted.internet

    # What Twisted's NoReactor/AlternateReactor test helpers do.
    saved = sys.modules.pop("twisted.internet.reactor")
    del twisted.internet.reactor
    alternate = object()
    main.installReactor(alternate)
    from twisted.internet import reactor as now

    seen.append([now is alternate, twisted.internet.reactor is alternate,
                 sys.modules["twisted.internet.reactor"] is alternate, saved is first])
    seen.append([describe(main.CONNECTION_DONE), describe(main.CONNECTION_LOST)])
    return seen


if __name__ == "__main__":
    mainWithoutReactor()
