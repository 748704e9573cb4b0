"""PayHere's Merchant API (Refund and Retrieval), both behind OAuth client credentials.

Endpoints and fields as documented on support.payhere.lk (Retrieval API, Refund API):
  POST {base}/merchant/v1/oauth/token      Basic base64(app_id:app_secret), form grant_type=client_credentials
  POST {base}/merchant/v1/payment/refund   Bearer, JSON {payment_id, description}
  GET  {base}/merchant/v1/payment/search   Bearer, ?order_id=
Answers carry `status` 1 for success, `msg`, and `data`."""

from __future__ import annotations

import base64
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from apextick_platform.errors import DomainError
from booking.adapters.payments._http import ProviderHttp, unavailable
from booking.domain.payment import Provider

TOKEN_PATH = "/merchant/v1/oauth/token"  # noqa: S105 - a URL path, not a secret
REFUND_PATH = "/merchant/v1/payment/refund"
SEARCH_PATH = "/merchant/v1/payment/search"
TOKEN_EARLY_REFRESH_SECONDS = 60.0  # renew a little before PayHere's expiry so a call never races it
HTTP_OK = 200
PAYHERE_OK = 1
AUTH_FAILED = frozenset({401, 403})


@dataclass
class _Token:
    value: str
    expires_at: float


def _provider_message(answer: Any) -> str:
    """PayHere's own short `msg`, trimmed; it names the problem and never echoes our credentials."""
    msg = answer.get("msg") if isinstance(answer, Mapping) else None
    return str(msg)[:200] if msg else "no message"


class PayHereMerchantApi:
    def __init__(
        self,
        http: ProviderHttp,
        api_base: str,
        app_id: str,
        app_secret: str,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._http = http
        self._base = api_base.rstrip("/")
        self._basic = base64.b64encode(f"{app_id}:{app_secret}".encode()).decode()
        self._clock = clock
        self._token: _Token | None = None

    async def _access_token(self, operation: str) -> str:
        if self._token is not None and self._clock() < self._token.expires_at:
            return self._token.value
        status, answer = await self._http.request_json(
            "POST",
            self._base + TOKEN_PATH,
            operation,
            form={"grant_type": "client_credentials"},
            headers={"Authorization": f"Basic {self._basic}"},
        )
        token = answer.get("access_token") if isinstance(answer, Mapping) else None
        if status != HTTP_OK or not isinstance(token, str) or not token:
            raise unavailable(Provider.PAYHERE, operation, "OAuth token refused", http_status=str(status))
        lifetime = float(answer.get("expires_in") or 0)
        self._token = _Token(token, self._clock() + max(0.0, lifetime - TOKEN_EARLY_REFRESH_SECONDS))
        return token

    async def _bearer(self, operation: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {await self._access_token(operation)}"}

    def _refused(self, operation: str, status: int, answer: Any) -> DomainError:
        if status in AUTH_FAILED:  # an expired or revoked token: fetch a new one next time
            self._token = None
        return unavailable(
            Provider.PAYHERE,
            operation,
            _provider_message(answer),
            http_status=str(status),
        )

    async def refund(self, payment_id: str, description: str) -> str:
        """Full refund (no amount sent). PayHere takes no idempotency key: callers refund once per order."""
        operation = "refund"
        status, answer = await self._http.request_json(
            "POST",
            self._base + REFUND_PATH,
            operation,
            json_body={"payment_id": payment_id, "description": description},
            headers=await self._bearer(operation),
        )
        if status != HTTP_OK or not isinstance(answer, Mapping) or answer.get("status") != PAYHERE_OK:
            raise self._refused(operation, status, answer)
        refund_id = answer.get("data")
        return str(refund_id) if refund_id is not None else ""

    async def payments_of(self, order_id: str) -> list[Mapping[str, Any]]:
        """The payments PayHere recorded for one order id; empty when it has none (PayHere then answers with a
        non-1 status, or with no data)."""
        operation = "lookup"
        status, answer = await self._http.request_json(
            "GET",
            self._base + SEARCH_PATH,
            operation,
            params={"order_id": order_id},
            headers=await self._bearer(operation),
        )
        if status in AUTH_FAILED or not isinstance(answer, Mapping):
            raise self._refused(operation, status, answer)
        # "No payments for this order" may come as a non-1 status with or without a 4xx: either way, none.
        data = answer.get("data")
        if answer.get("status") != PAYHERE_OK or not isinstance(data, list):
            return []
        return [item for item in data if isinstance(item, Mapping)]
