"""The apextick realm (identity/keycloak/realm-apextick.json) on a real Keycloak, started by
`scripts/keycloak.sh start`. Settings come from `eval "$(scripts/keycloak.sh env)"`:
APEXTICK_KEYCLOAK_URL (http://localhost:8180 by default), APEXTICK_DEMO_PASSWORD,
APEXTICK_SERVICE_CLIENT_SECRET, APEXTICK_KEYCLOAK_ADMIN_USER and _PASSWORD.

Claims are read without verification for the claim checks, and every token is also verified
(RS256 signature against the realm's JWKS, issuer, audience) with python-jose, as the services do."""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit, urlunsplit

import pytest
from jose import jwt as jose_jwt

from tests.integration.keycloak_support import (
    API_AUDIENCE,
    TokenError,
    admin_call,
    admin_token,
    client_credentials_grant,
    fetch_jwks,
    http,
    issuer,
    jwt_claims,
    jwt_header,
    oidc_url,
    password_grant,
    remove_realm_key,
    rotate_realm_key,
)

OUR_ROLES = {"customer", "organizer", "admin", "service", "gate"}
DEMO_ROLES = {
    "demo-customer": {"customer"},
    "demo-organizer": {"customer", "organizer"},
    "demo-admin": {"customer", "admin"},
    "demo-gate": {"gate"},
}
WEB_REDIRECT = "http://localhost:3000/callback"
# RFC 7636 appendix B: a verifier and its S256 challenge.
PKCE_CHALLENGE = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"


def _setting(name: str) -> str:
    value = os.environ.get(name, "")
    if not value:
        pytest.fail(
            f"{name} is not set: these tests need the real Keycloak. Start it with "
            '`scripts/keycloak.sh start`, then `eval "$(scripts/keycloak.sh env)"` and rerun.',
            pytrace=False,
        )
    return value


@pytest.fixture(scope="module", autouse=True)
def base_url() -> str:
    # autouse: without Keycloak every test here fails with a message saying what to do (never skips).
    url = _setting("APEXTICK_KEYCLOAK_URL").rstrip("/")
    try:
        answered = http(f"{issuer(url)}/.well-known/openid-configuration").status == 200
    except OSError:  # refused, unreachable, timed out (URLError is an OSError)
        answered = False
    if not answered:
        pytest.fail(
            f"no apextick realm at {url}: start Keycloak with `scripts/keycloak.sh start`", pytrace=False
        )
    return url


@pytest.fixture(scope="module")
def demo_password() -> str:
    return _setting("APEXTICK_DEMO_PASSWORD")


@dataclass(frozen=True)
class Admin:
    user: str
    password: str


@pytest.fixture(scope="module")
def admin() -> Admin:
    return Admin(
        os.environ.get("APEXTICK_KEYCLOAK_ADMIN_USER", "admin"), _setting("APEXTICK_KEYCLOAK_ADMIN_PASSWORD")
    )


def roles(claims: dict[str, Any]) -> set[str]:
    """Our roles among realm_access.roles (Keycloak adds its own: offline_access, ...)."""
    return set(claims.get("realm_access", {}).get("roles", [])) & OUR_ROLES


def audiences(claims: dict[str, Any]) -> list[str]:
    aud = claims.get("aud", [])
    return [aud] if isinstance(aud, str) else list(aud)


def verify(base_url: str, token: str, audience: str, **kwargs: Any) -> dict[str, Any]:
    """Signature (RS256 only), issuer, audience and expiry, checked by python-jose."""
    return dict(
        jose_jwt.decode(
            token,
            fetch_jwks(base_url),
            algorithms=["RS256"],
            audience=audience,
            issuer=issuer(base_url),
            **kwargs,
        )
    )


# --------------------------------------------------------------------------------- access tokens


@pytest.mark.parametrize("username", sorted(DEMO_ROLES))
def test_password_grant_gives_an_rs256_access_token_for_the_api(
    base_url: str, demo_password: str, username: str
) -> None:
    token = password_grant(base_url, username, demo_password)["access_token"]

    header = jwt_header(token)
    assert header["alg"] == "RS256"
    assert header["kid"]
    claims = jwt_claims(token)
    assert claims["sub"]
    assert API_AUDIENCE in audiences(claims)
    assert claims["azp"] == "apextick-cli"
    assert claims["typ"] == "Bearer"
    assert claims["iss"] == issuer(base_url)
    assert claims["preferred_username"] == username
    assert roles(claims) == DEMO_ROLES[username]
    assert 300 <= claims["exp"] - claims["iat"] <= 900
    assert verify(base_url, token, API_AUDIENCE) == claims


def test_id_token_is_typed_id_and_names_the_same_subject(base_url: str, demo_password: str) -> None:
    tokens = password_grant(base_url, "demo-organizer", demo_password, scope="openid")
    id_claims = jwt_claims(tokens["id_token"])
    assert id_claims["typ"] == "ID"
    assert id_claims["sub"] == jwt_claims(tokens["access_token"])["sub"]
    assert id_claims["email"] == "demo-organizer@apextick.dev"
    assert id_claims["email_verified"] is True
    # The ID token is for the client, not the API; at_hash binds it to the access token.
    verify(base_url, tokens["id_token"], "apextick-cli", access_token=tokens["access_token"])


def test_service_client_credentials_carry_the_service_role_and_the_api_audience(base_url: str) -> None:
    secret = _setting("APEXTICK_SERVICE_CLIENT_SECRET")
    token = client_credentials_grant(base_url, "apextick-service", secret)["access_token"]
    claims = jwt_claims(token)
    assert roles(claims) == {"service"}
    assert API_AUDIENCE in audiences(claims)
    assert claims["azp"] == "apextick-service"
    assert claims["typ"] == "Bearer"
    verify(base_url, token, API_AUDIENCE)


def test_a_wrong_client_secret_is_rejected(base_url: str) -> None:
    with pytest.raises(TokenError) as refused:
        client_credentials_grant(base_url, "apextick-service", "not-the-secret")
    assert refused.value.status == 401
    assert refused.value.error == "unauthorized_client"


def test_jwks_holds_the_rsa_signing_key_named_by_the_token(base_url: str, demo_password: str) -> None:
    kid = jwt_header(password_grant(base_url, "demo-customer", demo_password)["access_token"])["kid"]
    keys = {key["kid"]: key for key in fetch_jwks(base_url)["keys"]}
    assert kid in keys
    assert keys[kid]["kty"] == "RSA"
    assert keys[kid]["use"] == "sig"
    assert keys[kid]["alg"] == "RS256"


def test_discovery_pins_the_issuer_whatever_host_is_asked(base_url: str) -> None:
    parts = urlsplit(base_url)
    other_host = "127.0.0.1" if parts.hostname == "localhost" else "localhost"
    other = urlunsplit(parts._replace(netloc=f"{other_host}:{parts.port}"))
    for url in (base_url, other):
        reply = http(f"{issuer(url)}/.well-known/openid-configuration")
        assert reply.status == 200
        assert reply.json()["issuer"] == issuer(base_url)
        assert reply.json()["jwks_uri"] == oidc_url(base_url, "certs")


# ----------------------------------------------------------------------------- logins and clients


def test_the_web_client_has_no_password_grant(base_url: str, demo_password: str) -> None:
    with pytest.raises(TokenError) as refused:
        password_grant(base_url, "demo-customer", demo_password, client_id="apextick-web")
    assert refused.value.error == "unauthorized_client"


def authorize(base_url: str, client_id: str = "apextick-web", endpoint: str = "auth", **params: str) -> Any:
    query = {"client_id": client_id, "response_type": "code", "redirect_uri": WEB_REDIRECT, "scope": "openid"}
    return http(f"{oidc_url(base_url, endpoint)}?{urlencode({**query, **params})}")


@pytest.mark.parametrize(
    "pkce",
    [{}, {"code_challenge": PKCE_CHALLENGE, "code_challenge_method": "plain"}],
    ids=["no-challenge", "plain-method"],
)
def test_the_web_client_refuses_an_authorization_request_without_s256_pkce(
    base_url: str, pkce: dict[str, str]
) -> None:
    reply = authorize(base_url, **pkce)
    # The error goes back to the (registered) redirect URI, as OAuth prescribes.
    assert reply.status == 302
    location = urlsplit(reply.headers["Location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == WEB_REDIRECT
    error = parse_qs(location.query)
    assert error["error"] == ["invalid_request"]
    # Keycloak words it "Missing parameter: code_challenge_method" or "code challenge method is not
    # matching the configured one".
    assert "code challenge" in error["error_description"][0].replace("_", " ")


def test_the_web_client_login_page_offers_registration_reset_and_google(base_url: str) -> None:
    reply = authorize(base_url, code_challenge=PKCE_CHALLENGE, code_challenge_method="S256")
    assert reply.status == 200
    page = reply.body.decode()
    assert 'id="kc-form-login"' in page
    assert 'id="kc-registration"' in page
    assert "login-actions/reset-credentials" in page
    assert "/realms/apextick/broker/google/login" in page


def test_self_registration_is_open(base_url: str) -> None:
    reply = authorize(
        base_url, endpoint="registrations", code_challenge=PKCE_CHALLENGE, code_challenge_method="S256"
    )
    assert reply.status == 200
    assert 'id="kc-register-form"' in reply.body.decode()


def test_the_cli_client_starts_a_device_authorization(base_url: str) -> None:
    reply = http(oidc_url(base_url, "auth/device"), form={"client_id": "apextick-cli"})
    assert reply.status == 200
    grant = reply.json()
    assert grant["device_code"]
    assert grant["user_code"]
    assert grant["verification_uri"] == f"{issuer(base_url)}/device"


# ------------------------------------------------------------------------------- realm via admin


@dataclass(frozen=True)
class User:
    id: str
    username: str
    password: str


@pytest.fixture
def new_user(base_url: str, admin: Admin) -> Iterator[User]:
    """A user created like any new account (no roles given), deleted afterwards."""
    token = admin_token(base_url, admin.user, admin.password)
    username = f"test-{uuid.uuid4().hex[:12]}"
    password = uuid.uuid4().hex
    body = {
        "username": username,
        "email": f"{username}@example.com",
        "firstName": "Test",
        "lastName": "User",
        "enabled": True,
        "emailVerified": True,
        "credentials": [{"type": "password", "value": password, "temporary": False}],
    }
    location = admin_call(base_url, token, "POST", "/users", body).headers["Location"]
    user = User(str(location).rstrip("/").rsplit("/", 1)[-1], username, password)
    yield user
    admin_call(base_url, admin_token(base_url, admin.user, admin.password), "DELETE", f"/users/{user.id}")


def test_a_new_user_gets_exactly_the_customer_role_by_default(base_url: str, new_user: User) -> None:
    token = password_grant(base_url, new_user.username, new_user.password)["access_token"]
    assert roles(jwt_claims(token)) == {"customer"}


def test_a_wrong_password_is_rejected_without_locking_the_account(base_url: str, new_user: User) -> None:
    # A throwaway user: failed logins feed brute-force detection, which must never lock a demo user.
    with pytest.raises(TokenError) as refused:
        password_grant(base_url, new_user.username, new_user.password + "-wrong")
    assert refused.value.status in {400, 401}  # RFC 6749 says 400; Keycloak has used both
    assert refused.value.error == "invalid_grant"
    # Keycloak's quick-login check locks out a retry within quickLoginCheckMilliSeconds (1 s in the
    # realm) of a failure, as a robot would retry; a person retrying after that gets in.
    time.sleep(1.2)
    assert password_grant(base_url, new_user.username, new_user.password)["access_token"]


def test_brute_force_protection_locks_a_user_after_repeated_failures(
    base_url: str, admin: Admin, new_user: User
) -> None:
    for _ in range(5):
        with pytest.raises(TokenError):
            password_grant(base_url, new_user.username, "wrong-password")
    token = admin_token(base_url, admin.user, admin.password)
    status = admin_call(base_url, token, "GET", f"/attack-detection/brute-force/users/{new_user.id}").json()
    assert status["disabled"] is True
    # Locked: even the right password is refused now.
    with pytest.raises(TokenError) as refused:
        password_grant(base_url, new_user.username, new_user.password)
    assert refused.value.error == "invalid_grant"


def test_realm_placeholders_are_resolved_and_built_in_scopes_exist(base_url: str, admin: Admin) -> None:
    token = admin_token(base_url, admin.user, admin.password)
    realm = admin_call(base_url, token, "GET", "").json()
    assert realm["registrationAllowed"] is True
    assert realm["verifyEmail"] is True
    assert realm["resetPasswordAllowed"] is True
    assert realm["loginWithEmailAllowed"] is True
    assert realm["bruteForceProtected"] is True
    assert realm["smtpServer"]["from"] == "noreply@apextick.dev"
    assert realm["smtpServer"]["port"].isdigit()
    assert "${" not in realm["smtpServer"]["host"]
    google = admin_call(base_url, token, "GET", "/identity-provider/instances/google").json()
    assert google["providerId"] == "google"
    assert "${" not in google["config"]["clientId"]
    # The import must not carry a clientScopes key, or these built-ins (which put sub and
    # realm_access into tokens) are never created.
    scopes = {scope["name"] for scope in admin_call(base_url, token, "GET", "/client-scopes").json()}
    assert {"basic", "roles", "profile", "email"} <= scopes


# ---------------------------------------------------------------------------------- key rotation


def test_key_rotation_signs_new_tokens_with_the_new_key(
    base_url: str, demo_password: str, admin: Admin
) -> None:
    old_kid = jwt_header(password_grant(base_url, "demo-customer", demo_password)["access_token"])["kid"]
    new_kid = rotate_realm_key(base_url, admin.user, admin.password)
    try:
        assert new_kid != old_kid
        token = password_grant(base_url, "demo-customer", demo_password)["access_token"]
        assert jwt_header(token)["kid"] == new_kid
        listed = {key["kid"] for key in fetch_jwks(base_url)["keys"]}
        assert {old_kid, new_kid} <= listed  # the old key stays, so issued tokens still verify
        verify(base_url, token, API_AUDIENCE)
    finally:
        remove_realm_key(base_url, admin.user, admin.password, new_kid)
    # Clean-up restored the realm: tokens are signed with the old key again.
    token = password_grant(base_url, "demo-customer", demo_password)["access_token"]
    assert jwt_header(token)["kid"] == old_kid
    assert new_kid not in {key["kid"] for key in fetch_jwks(base_url)["keys"]}
