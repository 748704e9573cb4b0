"""An aiohttp session for an adapter: the composition root's shared one (left open), or one of the
adapter's own, made on first use (inside the running loop, as aiohttp requires) and closed by close()."""

from __future__ import annotations

import aiohttp


class LazySession:
    def __init__(self, shared: aiohttp.ClientSession | None = None) -> None:
        self._shared = shared
        self._owned: aiohttp.ClientSession | None = None

    def session(self) -> aiohttp.ClientSession:
        if self._shared is not None:
            return self._shared
        if self._owned is None or self._owned.closed:
            self._owned = aiohttp.ClientSession()
        return self._owned

    async def close(self) -> None:
        if self._owned is not None:
            await self._owned.close()
            self._owned = None
