"""A real Kubernetes API server for make check's server-side dry-run: kube-apiserver and etcd, both
built from k8s/tools/apiserver (scripts/install.sh k8s), on free loopback ports in a temporary folder, with
anonymous access allowed (nothing but the check talks to it, and it lives for seconds).

    with api_server() as api:
        api.request("POST", "/api/v1/namespaces", {...})"""

from __future__ import annotations

import json
import secrets
import socket
import ssl
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

ROOT = Path(__file__).resolve().parents[1]
APISERVER = ROOT / "var" / "bin" / "kube-apiserver"
ETCD = ROOT / "var" / "bin" / "etcd"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass(frozen=True)
class Reply:
    status: int
    body: dict[str, Any]
    warnings: list[str]


@dataclass(frozen=True)
class ApiServer:
    url: str
    token: str

    def request(self, method: str, path: str, body: object | None = None) -> Reply:
        data = None if body is None else json.dumps(body).encode()
        headers = {"content-type": "application/json", "authorization": f"Bearer {self.token}"}
        request = urllib.request.Request(self.url + path, data, headers, method=method)  # noqa: S310
        insecure = ssl.create_default_context()
        insecure.check_hostname = False
        insecure.verify_mode = ssl.CERT_NONE  # its own self-signed certificate, on loopback
        try:
            with urllib.request.urlopen(request, timeout=30, context=insecure) as reply:  # noqa: S310
                return Reply(reply.status, _json(reply.read()), reply.headers.get_all("Warning") or [])
        except urllib.error.HTTPError as error:
            return Reply(error.code, _json(error.read()), error.headers.get_all("Warning") or [])


def _json(raw: bytes) -> dict[str, Any]:
    """A JSON object, or {} for a plain-text answer (/readyz says "ok")."""
    try:
        value = json.loads(raw)
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def _service_account_key(folder: Path) -> Path:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    path = folder / "sa.key"
    path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    return path


def _wait_ready(api: ApiServer, process: subprocess.Popen[bytes], log: Path, limit: float = 90) -> None:
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"kube-apiserver exited: {log.read_text()[-2000:]}")
        try:
            if api.request("GET", "/readyz").status == 200:  # noqa: PLR2004
                return
        except OSError:
            pass
        time.sleep(0.5)
    raise RuntimeError(f"kube-apiserver not ready in {limit} s: {log.read_text()[-2000:]}")


@contextmanager
def api_server() -> Iterator[ApiServer]:
    if not (APISERVER.is_file() and ETCD.is_file()):
        raise RuntimeError("needs var/bin/kube-apiserver and var/bin/etcd: scripts/install.sh k8s")
    etcd = str(ETCD)
    with tempfile.TemporaryDirectory(prefix="apextick-apiserver-") as work:
        folder = Path(work)
        client, peer, secure = _free_port(), _free_port(), _free_port()
        etcd_url = f"http://127.0.0.1:{client}"
        etcd_log, api_log = (folder / "etcd.log").open("wb"), folder / "apiserver.log"
        etcd_process = subprocess.Popen(  # noqa: S603 - fixed argv
            [etcd, "--data-dir", str(folder / "etcd"), "--listen-client-urls", etcd_url,
             "--advertise-client-urls", etcd_url, "--listen-peer-urls", f"http://127.0.0.1:{peer}"],
            stdout=etcd_log, stderr=etcd_log,
        )  # fmt: skip
        key = _service_account_key(folder)
        token = secrets.token_hex(16)
        (folder / "tokens.csv").write_text(f"{token},check,check,system:masters\n")
        command = [
            str(APISERVER), f"--etcd-servers={etcd_url}", f"--secure-port={secure}",
            "--bind-address=127.0.0.1", f"--cert-dir={folder / 'certs'}", "--authorization-mode=AlwaysAllow",
            "--anonymous-auth=false", f"--token-auth-file={folder / 'tokens.csv'}",
            "--service-account-issuer=https://kubernetes.default.svc", f"--service-account-key-file={key}",
            f"--service-account-signing-key-file={key}", "--service-cluster-ip-range=10.96.0.0/16",
            "--enable-priority-and-fairness=false",
        ]  # fmt: skip
        with api_log.open("wb") as log:
            api_process = subprocess.Popen(command, stdout=log, stderr=log)  # noqa: S603 - fixed argv
        api = ApiServer(f"https://127.0.0.1:{secure}", token)
        try:
            _wait_ready(api, api_process, api_log)
            yield api
        finally:
            for process in (api_process, etcd_process):
                process.terminate()
                process.wait(timeout=30)
            etcd_log.close()
