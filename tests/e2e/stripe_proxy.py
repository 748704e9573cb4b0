"""A recording proxy in front of stripe-mock: stripe-mock keeps no state, so the calls that reach "the
provider" are counted where they leave us, each with its Idempotency-Key."""

from __future__ import annotations

from dataclasses import dataclass, field

import aiohttp
from aiohttp import web

HOP_BY_HOP = {"host", "content-length", "transfer-encoding", "connection"}


@dataclass(frozen=True)
class Call:
    method: str
    path: str
    idempotency_key: str


@dataclass
class StripeProxy:
    upstream: str
    url: str = ""  # where the proxy listens, once started
    calls: list[Call] = field(default_factory=list)
    session: aiohttp.ClientSession | None = None

    def refunds(self) -> list[Call]:
        return [c for c in self.calls if c.method == "POST" and c.path == "/v1/refunds"]

    async def handle(self, request: web.Request) -> web.Response:
        if self.session is None:
            self.session = aiohttp.ClientSession()
        self.calls.append(Call(request.method, request.path, request.headers.get("Idempotency-Key", "")))
        headers = {k: v for k, v in request.headers.items() if k.lower() not in HOP_BY_HOP}
        async with self.session.request(
            request.method, self.upstream + request.path_qs, headers=headers, data=await request.read()
        ) as answer:
            body = await answer.read()
            kept = {
                k: v for k, v in answer.headers.items() if k.lower() not in HOP_BY_HOP | {"content-encoding"}
            }
            return web.Response(status=answer.status, body=body, headers=kept)

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self.handle)
        app.on_cleanup.append(self._close)
        return app

    async def _close(self, _: web.Application) -> None:
        if self.session is not None:
            await self.session.close()
