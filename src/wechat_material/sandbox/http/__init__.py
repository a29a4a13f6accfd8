"""The sandbox on the wire: everything that deals in URLs, requests and JSON.

- :mod:`.app`: the ASGI app, its layers and routes;
- :mod:`.routes`: the WeChat API, one handler per endpoint of the SDK's table,
  registered through :mod:`.endpoint` (admission, replies);
- :mod:`.wire`: the reply and request formats; :mod:`.uploads`: upload forms;
- :mod:`.files`: the files and pages behind the URLs the sandbox hands out;
- :mod:`.layers` (guard, call counting), :mod:`.doors` (who may use the admin
  API) and :mod:`.faults` (fault injection);
- :mod:`.admin`: the admin API under ``/_sandbox/``.
"""
