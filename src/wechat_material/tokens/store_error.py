"""The error a token store raises when it cannot do its job."""

from __future__ import annotations

from wechat_material.errors import WeChatError


class TokenStoreError(WeChatError):
    """The token store failed: Redis unreachable, its lock never came free,
    the token file could not be written. The original error is ``__cause__``.
    """
