"""Ids, tokens and request ids: unguessable by default, reproducible with a seed."""

from __future__ import annotations

import base64
import random
import secrets
import string
import threading

_ALNUM = string.ascii_letters + string.digits


class IdMaker:
    """Makes every id the sandbox hands out.

    With ``seed`` the sequence is reproducible; ``generation`` (bumped on every
    start of a persistent sandbox) keeps a restarted sandbox from repeating ids
    it already handed out.
    """

    def __init__(self, seed: int | None = None, generation: int = 0) -> None:
        self._lock = threading.Lock()
        self._seed = seed
        self._generation = generation
        self._rng: random.Random | None = None
        self.restart()

    def restart(self) -> None:
        """Start the sequence again (after a reset, the same seed gives the same ids)."""
        if self._seed is not None:
            with self._lock:
                self._rng = random.Random(f"{self._seed}:{self._generation}")  # noqa: S311

    def _bytes(self, n: int) -> bytes:
        if self._rng is None:
            return secrets.token_bytes(n)
        with self._lock:
            return self._rng.randbytes(n)

    def _text(self, n_bytes: int) -> str:
        text = base64.urlsafe_b64encode(self._bytes(n_bytes)).decode().rstrip("=")
        # Ids are typed on command lines: one starting with "-" would read as an option.
        if text[0] in "-_":
            text = _ALNUM[ord(text[-1]) % len(_ALNUM)] + text[1:]
        return text

    def access_token(self) -> str:
        """136 url-safe characters, like WeChat's (which asks for 512 of storage)."""
        return self._text(102)

    def permanent_id(self) -> str:
        """43 characters: permanent material, drafts, article ids."""
        return self._text(32)

    def temporary_id(self) -> str:
        """64 characters: temporary media."""
        return self._text(48)

    def link_key(self) -> str:
        """The opaque part of a URL the sandbox serves."""
        return self._text(24)

    def number(self, digits: int = 10) -> int:
        """A positive number of exactly ``digits`` digits (publish ids, msg_data_id)."""
        low = 10 ** (digits - 1)
        number: int = low + int.from_bytes(self._bytes(8), "big") % (9 * low)
        return number

    def rid(self, now: float) -> str:
        """``xxxxxxxx-xxxxxxxx-xxxxxxxx``: the time in hex, then 64 random bits."""
        tail = self._bytes(8).hex()
        return f"{int(now) & 0xFFFFFFFF:08x}-{tail[:8]}-{tail[8:]}"

    def fault_seed(self) -> int:
        return int.from_bytes(self._bytes(8), "big")
