"""linecount: a small line-protocol client that survives reconnections.

A plait sample project.  The server (``linecount.server``) counts every
line it receives and answers each with the running total; the client
(``linecount.client.LineCounter``) sends lines and gets those totals back
as Deferreds, reconnecting (through ``ClientService``) whenever the
connection drops.  Its test suite is written twice: trial style in
``tests_trial/`` and pytest style in ``tests_pytest/``.
"""
