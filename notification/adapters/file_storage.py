"""Ticket PDFs on a local file system (a shared volume in production); an object-store adapter with the
same two methods can replace it."""

from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path

from notification.service_layer.ports import TransientError

_SEGMENT = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")


class FilePdfStorage:
    def __init__(self, root: Path) -> None:
        self._root = root.resolve()

    def _path(self, key: str) -> Path:
        # Keys are built from booking ids; refusing anything else keeps `..` and absolute paths out.
        segments = key.split("/")
        if not segments or not all(_SEGMENT.match(s) and s not in {".", ".."} for s in segments):
            raise ValueError(f"not a storage key: {key!r}")
        return self._root.joinpath(*segments)

    def put(self, key: str, data: bytes) -> None:
        """Write to a temporary file in the same folder, fsync, then rename over the key: a crash
        leaves the old file or the new one, never half of one. A full or unmounted volume is the
        infrastructure's trouble, not the message's: TransientError."""
        path = self._path(key)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, temp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=".pdf")
        except OSError as exc:
            raise TransientError(f"ticket storage: {exc}") from exc
        try:
            with os.fdopen(fd, "wb") as out:
                out.write(data)
                out.flush()
                os.fsync(out.fileno())
            Path(temp).replace(path)
        except OSError as exc:
            Path(temp).unlink(missing_ok=True)
            raise TransientError(f"ticket storage: {exc}") from exc

    def get(self, key: str) -> bytes | None:
        try:
            return self._path(key).read_bytes()
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise TransientError(f"ticket storage: {exc}") from exc
