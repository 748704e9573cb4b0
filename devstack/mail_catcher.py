"""A local SMTP server (aiosmtpd) that accepts every message and keeps it as an .eml file, so the tickets
the notification service sends can be opened and checked; with an HTTP port, it also lists them.

    apextick-dev mail-catcher            SMTP on APEXTICK_SMTP_PORT (1025), files in var/mail,
                                         listing on APEXTICK_MAIL_HTTP_PORT (8025): GET /messages
                                         (JSON, newest last) and GET /messages/<file> (the raw .eml)

Each stored message starts with an `X-Catcher-Received-At` header (UTC, microseconds): with the
`X-ApexTick-Caused-At` header the service writes, it gives the commit-to-inbox latency.
"""

from __future__ import annotations

import email
import email.policy
import json
import os
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

from devstack.mail_inbox import inbox_page

RECEIVED_HEADER = "X-Catcher-Received-At"


@dataclass(frozen=True)
class CaughtMail:
    path: Path
    message: EmailMessage

    @property
    def received_at(self) -> datetime:
        return datetime.fromisoformat(str(self.message[RECEIVED_HEADER]))

    def pdfs(self) -> list[tuple[str, bytes]]:
        found = []
        for part in self.message.iter_attachments():
            if part.get_content_type() == "application/pdf":
                payload = part.get_payload(decode=True)
                assert isinstance(payload, bytes)  # noqa: S101 - a decoded attachment is bytes
                found.append((part.get_filename() or "", payload))
        return found


class MailFolder:
    """The .eml files, one per message, named so that sorting them sorts by arrival."""

    def __init__(self, root: Path) -> None:
        self.root = root
        root.mkdir(parents=True, exist_ok=True)

    def store(self, content: bytes) -> Path:
        now = datetime.now(UTC)
        stamped = f"{RECEIVED_HEADER}: {now.isoformat()}\r\n".encode() + content
        name = f"{time.time_ns():020d}-{uuid.uuid4().hex[:8]}.eml"
        fd, temp = tempfile.mkstemp(dir=self.root, prefix=".tmp-")
        with os.fdopen(fd, "wb") as out:
            out.write(stamped)
        path = self.root / name
        Path(temp).replace(path)  # readers never see half a message
        return path

    def messages(self) -> list[CaughtMail]:
        return [self.read(path) for path in sorted(self.root.glob("*.eml"))]

    def read(self, path: Path) -> CaughtMail:
        parsed = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        assert isinstance(parsed, EmailMessage)  # noqa: S101 - the default policy builds EmailMessage
        return CaughtMail(path, parsed)

    def to(self, recipient: str) -> list[CaughtMail]:
        return [m for m in self.messages() if recipient in str(m.message["To"])]


class _Handler:
    def __init__(self, folder: MailFolder) -> None:
        self._folder = folder

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:  # noqa: N802, ARG002 - aiosmtpd's hook
        content = envelope.original_content or b""
        self._folder.store(content if isinstance(content, bytes) else content.encode())
        return "250 Message accepted for delivery"


class MailCatcher:
    """aiosmtpd's Controller runs the server on its own thread and event loop. It cannot bind port 0
    (it connects to the port to check the server is up), so tests pass a free port."""

    def __init__(self, folder: Path, host: str = "127.0.0.1", port: int = 1025) -> None:
        self.folder = MailFolder(folder)
        self.host = host
        self.port = port
        self._controller = Controller(_Handler(self.folder), hostname=host, port=port)

    def start(self) -> MailCatcher:
        self._controller.start()
        return self

    def stop(self) -> None:
        self._controller.stop()

    def wait_for(self, recipient: str, count: int = 1, timeout: float = 20.0) -> list[CaughtMail]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = self.folder.to(recipient)
            if len(found) >= count:
                return found
            time.sleep(0.05)
        return self.folder.to(recipient)


def _summary(mail: CaughtMail) -> dict[str, Any]:
    message = mail.message
    return {
        "file": mail.path.name,
        "received_at": str(message[RECEIVED_HEADER]),
        "from": str(message["From"]),
        "to": str(message["To"]),
        "subject": str(message["Subject"]),
        "message_id": str(message["Message-ID"]),
        "attachments": [name for name, _ in mail.pdfs()],
    }


def listing_server(folder: MailFolder, host: str, port: int) -> ThreadingHTTPServer:
    class Listing(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            if self.path == "/":
                self._reply(200, "text/html; charset=utf-8", inbox_page(m.message for m in folder.messages()))
                return
            if self.path == "/messages":
                body = json.dumps([_summary(m) for m in folder.messages()], indent=1).encode()
                self._reply(200, "application/json", body)
                return
            name = self.path.removeprefix("/messages/")
            path = folder.root / name
            if "/" in name or not name.endswith(".eml") or not path.is_file():
                self._reply(404, "text/plain", b"no such message\n")
                return
            self._reply(200, "message/rfc822", path.read_bytes())

        def _reply(self, status: int, content_type: str, body: bytes) -> None:
            self.send_response(status)
            self.send_header("content-type", content_type)
            self.send_header("content-length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002, ARG002 - stdlib signature
            return

    return ThreadingHTTPServer((host, port), Listing)


@contextmanager
def serve(folder: Path, host: str, smtp_port: int, http_port: int | None) -> Iterator[None]:
    """SMTP (and the listing) run until the block ends."""
    catcher = MailCatcher(folder, host, smtp_port).start()
    http = listing_server(catcher.folder, host, http_port) if http_port else None
    if http is not None:
        threading.Thread(target=http.serve_forever, daemon=True).start()
    print(f"mail catcher: smtp {host}:{smtp_port}, files in {folder}", flush=True)
    try:
        yield
    finally:
        if http is not None:
            http.shutdown()
            http.server_close()
        catcher.stop()
