"""What the sync and async drivers share besides stepping (see :mod:`._stepping`)."""

from __future__ import annotations

import httpx


def lower_headers(response: httpx.Response) -> dict[str, str]:
    """A reply's headers with lower-case names, as the call flow reads them."""
    return {name.lower(): value for name, value in response.headers.items()}
