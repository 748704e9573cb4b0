"""The web app's static files for the local stack, behind the edge (which sends it every GET outside
/v1/, so the app and the API share one origin). A path that is not a file answers index.html, so the
app's own routes (/events/..., /callback) load the app; hashed assets are cached for good, the page
never. In production any static server (or a CDN) takes this place behind the same edge route."""

from __future__ import annotations

import json
import mimetypes
from functools import partial
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

IMMUTABLE = "public, max-age=31536000, immutable"
NOT_BUILT = json.dumps({
    "code": 14, "message": "the web app is not built (npm run build in clients/web)",
    "details": [{"@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": "UNAVAILABLE",
                 "domain": "apextick.dev", "metadata": {}}],
}).encode()  # fmt: skip


class _Handler(BaseHTTPRequestHandler):
    server_version = "apextick-web"
    sys_version = ""

    def __init__(self, *args: object, root: Path, **kwargs: object) -> None:
        self._root = root
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - the stdlib's name
        """Quiet: the edge's access log is the record of requests."""

    def _file(self) -> tuple[Path, bool]:
        """The file to send and whether it is a hashed asset. Paths are resolved inside the root only."""
        relative = self.path.split("?", 1)[0].split("#", 1)[0].lstrip("/")
        candidate = (self._root / relative).resolve()
        inside = candidate == self._root or self._root in candidate.parents
        if inside and candidate.is_file():
            return candidate, relative.startswith("assets/")
        return self._root / "index.html", False

    def do_HEAD(self) -> None:
        self._send(body=False)

    def do_GET(self) -> None:
        self._send(body=True)

    def _send(self, *, body: bool) -> None:
        path, hashed = self._file()
        status = HTTPStatus.OK
        if path.is_file():
            data = path.read_bytes()
            kind = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        else:  # answered like every other error at the edge: a google.rpc.Status with its ErrorInfo
            status, data, kind = HTTPStatus.SERVICE_UNAVAILABLE, NOT_BUILT, "application/json"
        self.send_response(status)
        self.send_header("Content-Type", kind if not kind.startswith("text/") else f"{kind}; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Cache-Control", IMMUTABLE if hashed else "no-cache")
        self.send_header("X-Content-Type-Options", "nosniff")
        self.end_headers()
        if body:
            self.wfile.write(data)


def serve(root: Path, host: str, port: int) -> ThreadingHTTPServer:
    """A started-on-demand server (call serve_forever); `root` is the built app (clients/web/dist)."""
    return ThreadingHTTPServer((host, port), partial(_Handler, root=root.resolve()))
