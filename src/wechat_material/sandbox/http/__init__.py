"""The sandbox on the wire: everything that deals in URLs, requests and JSON.

- :mod:`.app`: the ASGI app, its layers and routes;
- :mod:`.routes`: the WeChat API, one handler per endpoint of the SDK's table,
  each admitted and its reply shaped by the route around it;
- :mod:`.wire`: the reply and request formats (JSON, files, upload forms);
- :mod:`.files`: the files and pages behind the URLs the sandbox hands out;
- :mod:`.middleware` (guard, call counting and the journal, faults),
  :mod:`.body_caps` (each endpoint's largest body) and :mod:`.access` (who may
  use the admin API and the console);
- :mod:`.admin`: the admin API under ``/_sandbox/``.
"""
