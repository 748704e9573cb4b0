"""Talking to a real Keycloak (started by scripts/keycloak.sh) from tests: token grants, JWT
inspection and the few admin REST calls the tests need. Standard library only (urllib)."""

from __future__ import annotations

import base64
import json
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from email.message import Message
from typing import Any

REALM = "apextick"
API_AUDIENCE = "apextick-api"
TIMEOUT = 15  # seconds; Keycloak answers in milliseconds once up, the first admin call takes longer


@dataclass(frozen=True)
class Reply:
    status: int
    body: bytes
    headers: Message = field(default_factory=Message)

    def json(self) -> Any:
        return json.loads(self.body)


class TokenError(Exception):
    """The token endpoint refused a grant: the HTTP status and Keycloak's OAuth error body."""

    def __init__(self, status: int, body: dict[str, Any]) -> None:
        super().__init__(f"HTTP {status}: {body}")
        self.status = status
        self.error = str(body.get("error", ""))
        self.body = body


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    # The tests look at redirects themselves (PKCE errors come back as a redirect to the client).
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


_OPENER = urllib.request.build_opener(_NoRedirect)


def http(
    url: str,
    *,
    method: str | None = None,
    form: dict[str, str] | None = None,
    json_body: Any = None,
    bearer: str | None = None,
) -> Reply:
    """One request; HTTP error statuses and redirects are returned, not raised or followed."""
    data: bytes | None = None
    headers = {"Accept": "application/json, text/html"}
    if form is not None:
        data = urllib.parse.urlencode(form).encode()
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    elif json_body is not None:
        data = json.dumps(json_body).encode()
        headers["Content-Type"] = "application/json"
    if bearer is not None:
        headers["Authorization"] = f"Bearer {bearer}"
    request = urllib.request.Request(url, data=data, headers=headers, method=method)  # noqa: S310 - test URLs
    try:
        with _OPENER.open(request, timeout=TIMEOUT) as response:
            return Reply(response.status, response.read(), response.headers)
    except urllib.error.HTTPError as error:  # 3xx (not followed), 4xx and 5xx
        with error:
            return Reply(error.code, error.read(), error.headers)


def issuer(base_url: str) -> str:
    return f"{base_url.rstrip('/')}/realms/{REALM}"


def oidc_url(base_url: str, endpoint: str) -> str:
    """An endpoint under <issuer>/protocol/openid-connect: token, auth, certs, auth/device..."""
    return f"{issuer(base_url)}/protocol/openid-connect/{endpoint}"


def _grant(base_url: str, form: dict[str, str]) -> dict[str, Any]:
    reply = http(oidc_url(base_url, "token"), form=form)
    body = reply.json()
    if reply.status != 200:
        raise TokenError(reply.status, body)
    return dict(body)


def password_grant(
    base_url: str, username: str, password: str, client_id: str = "apextick-cli", *, scope: str | None = None
) -> dict[str, Any]:
    """The token response (access_token, and id_token when scope has openid); TokenError if refused."""
    form = {"grant_type": "password", "client_id": client_id, "username": username, "password": password}
    if scope is not None:
        form["scope"] = scope
    return _grant(base_url, form)


def client_credentials_grant(base_url: str, client_id: str, client_secret: str) -> dict[str, Any]:
    form = {"grant_type": "client_credentials", "client_id": client_id, "client_secret": client_secret}
    return _grant(base_url, form)


def _b64_json(segment: str) -> dict[str, Any]:
    return dict(json.loads(base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))))


def jwt_header(token: str) -> dict[str, Any]:
    """The JOSE header, NOT verified (the tests verify signatures separately)."""
    return _b64_json(token.split(".", maxsplit=1)[0])


def jwt_claims(token: str) -> dict[str, Any]:
    """The payload, NOT verified."""
    return _b64_json(token.split(".")[1])


def fetch_jwks(base_url: str) -> dict[str, Any]:
    reply = http(oidc_url(base_url, "certs"))
    assert reply.status == 200, reply
    return dict(reply.json())


# ------------------------------------------------------------------------------------------- admin


def admin_token(base_url: str, admin_user: str, admin_password: str) -> str:
    """An admin access token from the master realm's admin-cli client (the bootstrap admin)."""
    token_url = f"{base_url.rstrip('/')}/realms/master/protocol/openid-connect/token"
    form = {
        "grant_type": "password",
        "client_id": "admin-cli",
        "username": admin_user,
        "password": admin_password,
    }
    reply = http(token_url, form=form)
    if reply.status != 200:
        raise TokenError(reply.status, reply.json())
    return str(reply.json()["access_token"])


def admin_call(base_url: str, token: str, method: str, path: str, body: Any = None) -> Reply:
    """A call to /admin/realms/apextick<path>; raises on a non-2xx status."""
    url = f"{base_url.rstrip('/')}/admin/realms/{REALM}{path}"
    reply = http(url, method=method, json_body=body, bearer=token)
    if not 200 <= reply.status < 300:
        raise AssertionError(f"{method} {url}: HTTP {reply.status} {reply.body[:500]!r}")
    return reply


def _realm_keys(base_url: str, token: str) -> list[dict[str, Any]]:
    return list(admin_call(base_url, token, "GET", "/keys").json()["keys"])


def rotate_realm_key(base_url: str, admin_user: str, admin_password: str) -> str:
    """Add an rsa-generated key provider that outranks every RS256 key of the realm and return
    its kid: from now on Keycloak signs new tokens with it, while the older keys stay in the JWKS
    (tokens already issued remain verifiable), as in a real rotation."""
    token = admin_token(base_url, admin_user, admin_password)
    realm_id = admin_call(base_url, token, "GET", "").json()["id"]
    top = max(
        (
            int(k.get("providerPriority", 0))
            for k in _realm_keys(base_url, token)
            if k.get("algorithm") == "RS256"
        ),
        default=0,
    )
    component = {
        "name": f"rsa-rotated-{time.time_ns()}",
        "providerId": "rsa-generated",
        "providerType": "org.keycloak.keys.KeyProvider",
        "parentId": realm_id,
        "config": {
            "priority": [str(top + 100)],
            "enabled": ["true"],
            "active": ["true"],
            "algorithm": ["RS256"],
            "keySize": ["2048"],
        },
    }
    created = admin_call(base_url, token, "POST", "/components", component)
    component_id = str(created.headers["Location"]).rstrip("/").rsplit("/", 1)[-1]
    for key in _realm_keys(base_url, token):
        if key.get("providerId") == component_id:
            return str(key["kid"])
    raise AssertionError(f"key provider {component_id} created but its key is not listed")


def remove_realm_key(base_url: str, admin_user: str, admin_password: str, kid: str) -> None:
    """Delete the key provider that holds kid (undoes rotate_realm_key). Tokens it signed stop
    verifying at once: meant for test clean-up, not for a rotation."""
    token = admin_token(base_url, admin_user, admin_password)
    for key in _realm_keys(base_url, token):
        if key.get("kid") == kid:
            admin_call(base_url, token, "DELETE", f"/components/{key['providerId']}")
            return
    raise AssertionError(f"no realm key with kid {kid}")


def create_user(base_url: str, token: str, username: str, password: str) -> str:
    """A verified, enabled user with a password and no pending actions; its id."""
    body = {"username": username, "email": f"{username}@example.test", "firstName": username.title(),
            "lastName": "Tester", "enabled": True, "emailVerified": True,
            "credentials": [{"type": "password", "value": password, "temporary": False}]}  # fmt: skip
    reply = admin_call(base_url, token, "POST", "/users", body)
    return str(reply.headers["Location"]).rsplit("/", 1)[1]


def delete_user(base_url: str, token: str, user_id: str) -> None:
    admin_call(base_url, token, "DELETE", f"/users/{user_id}")
