"""JSON over HTTP to one provider's API: a shared or owned aiohttp session, a timeout, and every transport
failure turned into DomainError(PROVIDER_UNAVAILABLE) so callers see one error for "try again later"."""

from __future__ import annotations

import json
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

import aiohttp

from apextick_platform.errors import DomainError, ErrorCode
from booking.adapters.http_session import LazySession
from booking.domain.payment import Provider

DEFAULT_TIMEOUT_SECONDS = 20.0


def unavailable(provider: Provider, operation: str, reason: str, **metadata: str) -> DomainError:
    """Never put a secret, a token or a provider's raw body in here: it travels to clients and logs."""
    return DomainError(
        ErrorCode.PROVIDER_UNAVAILABLE,
        f"{provider.value} {operation} failed: {reason}",
        metadata={"provider": provider.value, "operation": operation, **metadata},
    )


class ProviderHttp:
    """One provider's HTTP client. With a session from the composition root the session is shared and left
    open; without one, a session is created on first use (inside the running loop) and closed by close()."""

    def __init__(
        self,
        provider: Provider,
        session: aiohttp.ClientSession | None = None,
        timeout_seconds: float = DEFAULT_TIMEOUT_SECONDS,
    ) -> None:
        self._provider = provider
        self._http = LazySession(session)
        self._timeout = aiohttp.ClientTimeout(total=timeout_seconds)

    def _session(self) -> aiohttp.ClientSession:
        return self._http.session()

    async def request_json(
        self,
        method: str,
        url: str,
        operation: str,
        *,
        json_body: Mapping[str, Any] | None = None,
        form: Mapping[str, str] | None = None,
        params: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> tuple[int, Any]:
        """(HTTP status, parsed JSON). 5xx, 429, a network failure, a timeout or a body that is not JSON
        raise PROVIDER_UNAVAILABLE; other statuses are the caller's to interpret. Numbers parse to Decimal so
        amounts stay exact."""
        try:
            async with self._session().request(
                method,
                url,
                json=json_body,
                data=form,
                params=params,
                headers=headers,
                timeout=self._timeout,
            ) as response:
                status = response.status
                raw = await response.read()
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise unavailable(self._provider, operation, type(exc).__name__) from exc
        if status >= 500 or status == 429:  # noqa: PLR2004 - HTTP status classes
            raise unavailable(self._provider, operation, f"HTTP {status}", http_status=str(status))
        try:
            return status, json.loads(raw, parse_float=Decimal)
        except ValueError as exc:
            raise unavailable(
                self._provider, operation, "the answer was not JSON", http_status=str(status)
            ) from exc

    async def close(self) -> None:
        await self._http.close()
