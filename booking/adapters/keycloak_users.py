"""The UserDirectory port on Keycloak's admin REST API, called as the confidential service client
(client credentials; its service account holds realm-management's view-users, query-users,
manage-users and view-realm, granted in the realm's code).

Keycloak's PUT of a user replaces the representation, so enabling or disabling reads the user and
writes it back whole: a partial body could clear the attributes it leaves out."""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

import aiohttp

from apextick_platform.errors import DomainError, ErrorCode
from apextick_platform.identity import Role
from apextick_platform.settings import Env, RedactedRepr, secret_field
from booking.adapters.http_session import LazySession
from booking.domain.user import PLATFORM_ROLES, UserAccount, user_not_found

log = logging.getLogger(__name__)

HTTP_OK = 200
HTTP_OK_MAX = 299
HTTP_UNAUTHORIZED = 401
HTTP_NOT_FOUND = 404
RACED = frozenset({400, 409})  # what Keycloak answers the loser of two concurrent role-mapping writes
TOKEN_MARGIN_SECONDS = 30  # a token this close to expiry is renewed before use


@dataclass(frozen=True, repr=False)
class DirectorySettings(RedactedRepr):
    """Where the admin API is and who calls it. No secret: every call answers IDENTITY_UNAVAILABLE."""

    base_url: str = "http://localhost:8180"
    realm: str = "apextick"
    client_id: str = "apextick-service"
    client_secret: str = secret_field()
    timeout_seconds: float = 10.0

    @classmethod
    def from_env(cls, source: Env | Mapping[str, str], issuer: str) -> DirectorySettings:
        env = Env.of(source)
        # The issuer is <base>/realms/<realm>: the admin API lives beside it.
        base, _, realm = issuer.rstrip("/").rpartition("/realms/")
        return cls(
            base_url=env.text("APEXTICK_KEYCLOAK_URL", base or cls.base_url).rstrip("/"),
            realm=realm or cls.realm,
            client_id=env.text("APEXTICK_SERVICE_CLIENT_ID", cls.client_id),
            client_secret=env.text("APEXTICK_SERVICE_CLIENT_SECRET"),
            timeout_seconds=env.number("APEXTICK_IDENTITY_TIMEOUT", cls.timeout_seconds, minimum=0.1),
        )


def unavailable(why: str) -> DomainError:
    log.warning("identity provider admin API: %s", why)
    return DomainError(ErrorCode.IDENTITY_UNAVAILABLE, "the identity provider did not answer; retry shortly")


def account_of(rep: Mapping[str, Any], roles: Sequence[str]) -> UserAccount:
    created_ms = rep.get("createdTimestamp") or 0
    return UserAccount(
        id=str(rep["id"]),
        username=str(rep.get("username", "")),
        email=str(rep.get("email", "")),
        email_verified=bool(rep.get("emailVerified", False)),
        first_name=str(rep.get("firstName", "")),
        last_name=str(rep.get("lastName", "")),
        enabled=bool(rep.get("enabled", False)),
        roles=frozenset(Role(name) for name in roles if name in PLATFORM_ROLES),  # StrEnum: a str
        created_at=datetime.fromtimestamp(created_ms / 1000, UTC),
    )


class KeycloakUsers:
    def __init__(
        self,
        settings: DirectorySettings,
        *,
        session: aiohttp.ClientSession | None = None,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._settings = settings
        self._http = LazySession(session)
        self._monotonic = monotonic
        self._token: tuple[str, float] | None = None  # (access token, renew after)
        self._token_lock = asyncio.Lock()
        self._timeout = aiohttp.ClientTimeout(total=settings.timeout_seconds)
        self._admin = f"{settings.base_url}/admin/realms/{quote(settings.realm, safe='')}"

    # ------------------------------------------------------------------ the port

    async def search(self, query: str, first: int, limit: int) -> Sequence[UserAccount]:
        params = {"first": str(first), "max": str(limit), "briefRepresentation": "true"}
        if query:
            params["search"] = query
        _, reps = await self._call("GET", "/users", params=params)
        roles = await asyncio.gather(*(self._roles(str(rep["id"])) for rep in reps))
        return [account_of(rep, names) for rep, names in zip(reps, roles, strict=True)]

    async def get(self, user_id: str) -> UserAccount | None:
        status, rep = await self._call("GET", f"/users/{quote(user_id, safe='')}", missing_ok=True)
        if status == HTTP_NOT_FOUND:
            return None
        return account_of(rep, await self._roles(user_id))

    async def set_enabled(self, user_id: str, *, enabled: bool) -> None:
        path = f"/users/{quote(user_id, safe='')}"
        status, rep = await self._call("GET", path, missing_ok=True)
        if status == HTTP_NOT_FOUND:
            raise user_not_found(user_id)
        if rep.get("enabled") is enabled:
            return
        await self._call("PUT", path, body={**rep, "enabled": enabled}, gone=user_id)

    async def grant(self, user_id: str, role: Role) -> None:
        await self._map(user_id, role, "POST")

    async def revoke(self, user_id: str, role: Role) -> None:
        await self._map(user_id, role, "DELETE")

    async def close(self) -> None:
        await self._http.close()

    # ------------------------------------------------------------------ helpers

    async def _roles(self, user_id: str) -> list[str]:
        status, reps = await self._call(
            "GET", f"/users/{quote(user_id, safe='')}/role-mappings/realm", missing_ok=True
        )
        return [] if status == HTTP_NOT_FOUND else [str(rep.get("name", "")) for rep in reps]

    async def _map(self, user_id: str, role: Role, method: str) -> None:
        """Keycloak's role mappings are a set: adding a held role or removing a missing one is a no-op.
        Two grants racing each other make the loser's insert fail (HTTP 400 or 409) although the role is
        there: then the mapping is read back, and only a role still in the wrong state is a failure."""
        _, rep = await self._call("GET", f"/roles/{quote(role.value, safe='')}")
        path = f"/users/{quote(user_id, safe='')}/role-mappings/realm"
        body = [{"id": rep["id"], "name": rep["name"]}]
        status, _ = await self._call(method, path, body=body, gone=user_id, accept=RACED)
        if status in RACED and (role.value in await self._roles(user_id)) != (method == "POST"):
            raise unavailable(f"{method} {path} answered HTTP {status}")

    async def _call(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, str] | None = None,
        body: Any = None,
        missing_ok: bool = False,
        gone: str | None = None,
        accept: frozenset[int] = frozenset(),
    ) -> tuple[int, Any]:
        """(status, JSON or None). 404 is returned when `missing_ok`, USER_NOT_FOUND when `gone` names
        the user; anything else unexpected (refused credentials, 5xx, no answer) is IDENTITY_UNAVAILABLE,
        with the reason logged and never shown to the caller."""
        for attempt in range(2):
            token = await self._access_token()
            status, answer = await self._send(method, self._admin + path, params, body, token)
            if status == HTTP_UNAUTHORIZED and attempt == 0:
                self._token = None  # revoked or rotated early: one fresh token, then give up
                continue
            break
        if status == HTTP_NOT_FOUND and (missing_ok or gone is not None):
            if gone is not None:
                raise user_not_found(gone)
            return status, None
        if status > HTTP_OK_MAX and status not in accept:
            raise unavailable(f"{method} {path} answered HTTP {status}")
        return status, answer

    async def _send(
        self, method: str, url: str, params: Mapping[str, str] | None, body: Any, token: str
    ) -> tuple[int, Any]:
        headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
        try:
            async with self._http.session().request(
                method, url, params=params, json=body, headers=headers, timeout=self._timeout
            ) as response:
                raw = await response.read()
                status = response.status
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise unavailable(f"{method} {url}: {type(exc).__name__}") from exc
        try:
            return status, (json.loads(raw) if raw else None)
        except ValueError as exc:
            raise unavailable(f"{method} {url}: the answer was not JSON") from exc

    async def _access_token(self) -> str:
        if self._token is not None and self._monotonic() < self._token[1]:
            return self._token[0]
        async with self._token_lock:  # one grant for the callers that found the token stale together
            if self._token is not None and self._monotonic() < self._token[1]:
                return self._token[0]
            self._token = await self._grant()
            return self._token[0]

    async def _grant(self) -> tuple[str, float]:
        settings = self._settings
        if not settings.client_secret:
            raise unavailable("APEXTICK_SERVICE_CLIENT_SECRET is not set")
        url = f"{settings.base_url}/realms/{quote(settings.realm, safe='')}/protocol/openid-connect/token"
        form = {"grant_type": "client_credentials", "client_id": settings.client_id,
                "client_secret": settings.client_secret}  # fmt: skip
        try:
            async with self._http.session().post(url, data=form, timeout=self._timeout) as response:
                status = response.status
                answer = await response.json(content_type=None) if status == HTTP_OK else None
        except (aiohttp.ClientError, TimeoutError, ValueError) as exc:
            raise unavailable(f"token grant: {type(exc).__name__}") from exc
        if not isinstance(answer, dict) or "access_token" not in answer:
            raise unavailable(f"token grant answered HTTP {status}")
        lifetime = float(answer.get("expires_in", 60))
        return str(answer["access_token"]), self._monotonic() + max(lifetime - TOKEN_MARGIN_SECONDS, 1.0)
