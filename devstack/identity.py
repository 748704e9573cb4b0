"""A development identity provider: an RSA signing key, a JWKS served over loopback HTTP at
Keycloak's paths, and access tokens in Keycloak's claim layout (realm_access.roles, azp, aud, typ).

Tests use it to mint good and deliberately bad tokens; `make up` serves it until Keycloak joins
the stack. The key lives under var/ (git-ignored), never in the repository."""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from jose import jwk, jwt

REALM = "apextick"
AUDIENCE = "apextick-api"
SPA_CLIENT = "apextick-web"


@dataclass(frozen=True)
class DemoUser:
    username: str
    roles: tuple[str, ...]

    @property
    def subject(self) -> str:
        # Stable per username, so demo data keeps its owner across restarts.
        return str(uuid.uuid5(uuid.NAMESPACE_URL, f"apextick-demo:{self.username}"))


DEMO_USERS = {
    "customer": DemoUser("demo-customer", ("customer",)),
    "organizer": DemoUser("demo-organizer", ("customer", "organizer")),
    "admin": DemoUser("demo-admin", ("customer", "admin")),
    "gate": DemoUser("demo-gate", ("gate",)),
}


class SigningKey:
    def __init__(self, private_pem: bytes, kid: str) -> None:
        self.private_pem = private_pem
        self.kid = kid
        self._signer: Any = None  # the parsed key: parsing the PEM per token cost ~40 ms each

    @classmethod
    def generate(cls, kid: str | None = None) -> SigningKey:
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        pem = key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        return cls(pem, kid or uuid.uuid4().hex[:16])

    @classmethod
    def load_or_create(cls, path: Path) -> SigningKey:
        kid_path = path.with_suffix(".kid")
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            fresh = cls.generate()
            path.write_bytes(fresh.private_pem)
            path.chmod(0o600)
            kid_path.write_text(fresh.kid)
        return cls(path.read_bytes(), kid_path.read_text().strip())

    @property
    def public_pem(self) -> bytes:
        private = serialization.load_pem_private_key(self.private_pem, password=None)
        return private.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )

    def public_jwk(self) -> dict[str, Any]:
        entry: dict[str, Any] = jwk.construct(self.public_pem, "RS256").to_dict()
        entry.update({"kid": self.kid, "use": "sig", "alg": "RS256"})
        return entry

    def sign(self, claims: Mapping[str, Any], headers: Mapping[str, Any] | None = None) -> str:
        all_headers = {"kid": self.kid, **(headers or {})}
        if self._signer is None:
            self._signer = jwk.construct(self.private_pem.decode(), "RS256")
        return str(jwt.encode(dict(claims), self._signer, algorithm="RS256", headers=all_headers))


def access_claims(
    user: DemoUser, issuer: str, *, audience: str = AUDIENCE, ttl: int = 3600, now: float | None = None
) -> dict[str, Any]:
    """Claims as Keycloak puts them in an access token for the SPA client with our audience mapper."""
    issued = int(now if now is not None else time.time())
    return {
        "iss": issuer,
        "sub": user.subject,
        "aud": audience,
        "azp": SPA_CLIENT,
        "typ": "Bearer",
        "iat": issued,
        "nbf": issued,
        "exp": issued + ttl,
        "jti": uuid.uuid4().hex,
        "preferred_username": user.username,
        "email": f"{user.username}@apextick.dev",
        "realm_access": {"roles": list(user.roles)},
    }


class JwksServer:
    """Serves `/realms/<realm>/protocol/openid-connect/certs` and the discovery document on loopback.
    The key set can be swapped at run time, which is how tests rotate keys."""

    def __init__(self, keys: Iterable[SigningKey], host: str = "127.0.0.1", port: int = 0) -> None:
        self.keys = list(keys)
        self._server = ThreadingHTTPServer((host, port), self._handler())
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    @property
    def issuer(self) -> str:
        return f"http://localhost:{self.port}/realms/{REALM}"

    @property
    def jwks_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/realms/{REALM}/protocol/openid-connect/certs"

    def start(self) -> JwksServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def serve_forever(self) -> None:
        self._server.serve_forever()

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                base = f"/realms/{REALM}"
                if self.path == f"{base}/protocol/openid-connect/certs":
                    self._json({"keys": [key.public_jwk() for key in owner.keys]})
                elif self.path == f"{base}/.well-known/openid-configuration":
                    self._json({"issuer": owner.issuer, "jwks_uri": owner.jwks_url})
                else:
                    self.send_error(404)

            def _json(self, body: object) -> None:
                data = json.dumps(body).encode()
                self.send_response(200)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002, ARG002 - stdlib signature
                return

        return Handler
