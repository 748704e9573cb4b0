"""Signing in against Keycloak: the password grant (tests, demos, benchmarks) and the OAuth 2.0
device authorization grant (the CLI: the user confirms in a browser). Plus the admin calls a
benchmark needs to create its many customers."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any

REALM = "apextick"
CLI_CLIENT = "apextick-cli"
DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"


class SignInError(Exception):
    """Keycloak refused: wrong credentials, an expired device code, or a denied confirmation."""


@dataclass(frozen=True)
class Tokens:
    access_token: str
    refresh_token: str
    expires_at: float


def _post(url: str, form: dict[str, str], token: str | None = None) -> dict[str, Any]:
    headers = {"content-type": "application/x-www-form-urlencoded"}
    if token:
        headers["authorization"] = f"Bearer {token}"
    request = urllib.request.Request(url, urllib.parse.urlencode(form).encode(), headers)  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 - configured URL
            body: dict[str, Any] = json.load(response)
            return body
    except urllib.error.HTTPError as error:
        detail = json.loads(error.read() or b"{}")
        raise SignInError(detail.get("error_description") or detail.get("error") or str(error)) from error


def _tokens(body: dict[str, Any]) -> Tokens:
    return Tokens(
        body["access_token"], body.get("refresh_token", ""), time.time() + body.get("expires_in", 0)
    )


class Keycloak:
    def __init__(self, base_url: str, realm: str = REALM, client_id: str = CLI_CLIENT) -> None:
        self.base_url = base_url.rstrip("/")
        self.realm = realm
        self.client_id = client_id

    @property
    def _oidc(self) -> str:
        return f"{self.base_url}/realms/{self.realm}/protocol/openid-connect"

    def password_grant(self, username: str, password: str) -> Tokens:
        form = {
            "grant_type": "password",
            "client_id": self.client_id,
            "username": username,
            "password": password,
            "scope": "openid",
        }
        return _tokens(_post(f"{self._oidc}/token", form))

    def device_flow(self, show: Callable[[str, str], None], timeout: float = 600) -> Tokens:
        """Ask for a device code, show the user where to confirm it, and poll until they have."""
        start = _post(f"{self._oidc}/auth/device", {"client_id": self.client_id, "scope": "openid"})
        show(start.get("verification_uri_complete") or start["verification_uri"], start["user_code"])
        interval = float(start.get("interval", 5))
        deadline = time.monotonic() + min(timeout, float(start.get("expires_in", timeout)))
        form = {"grant_type": DEVICE_GRANT, "client_id": self.client_id, "device_code": start["device_code"]}
        while time.monotonic() < deadline:
            time.sleep(interval)
            try:
                return _tokens(_post(f"{self._oidc}/token", form))
            except SignInError as error:
                if "pending" in str(error).lower():
                    continue
                if "slow" in str(error).lower():
                    interval += 5  # RFC 8628: back off when told to
                    continue
                raise
        raise SignInError("the device code expired before it was confirmed")


class KeycloakAdmin:
    """The few admin REST calls a benchmark needs, authenticated as the bootstrap admin."""

    def __init__(self, base_url: str, username: str, password: str, realm: str = REALM) -> None:
        self.base_url = base_url.rstrip("/")
        self.realm = realm
        form = {
            "grant_type": "password",
            "client_id": "admin-cli",
            "username": username,
            "password": password,
        }
        self._token = _post(f"{self.base_url}/realms/master/protocol/openid-connect/token", form)[
            "access_token"
        ]

    def ensure_user(self, username: str, password: str) -> None:
        """Create an enabled, verified customer (the realm's default role) unless it exists."""
        body = {
            "username": username, "enabled": True, "emailVerified": True, "email": f"{username}@apextick.dev",
            "firstName": "Bench", "lastName": username,
            "credentials": [{"type": "password", "value": password, "temporary": False}],
        }  # fmt: skip
        request = urllib.request.Request(  # noqa: S310 - configured URL
            f"{self.base_url}/admin/realms/{self.realm}/users",
            json.dumps(body).encode(),
            {"content-type": "application/json", "authorization": f"Bearer {self._token}"},
            method="POST",
        )
        try:
            with urllib.request.urlopen(request, timeout=10):  # noqa: S310
                return
        except urllib.error.HTTPError as error:
            if error.code != HTTPStatus.CONFLICT:  # the user exists already, which is fine
                raise
