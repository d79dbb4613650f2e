"""Services and applications (``twisted.application``).

* ``plait.application.service``: ``Service``, ``MultiService``,
  ``Application`` and their interfaces;
* ``plait.application.internet``: services that listen or connect
  (``TCPServer``, ``TCPClient``..., ``StreamServerEndpointService``,
  ``TimerService``) and ``ClientService`` (from ``plait.service``).
"""
