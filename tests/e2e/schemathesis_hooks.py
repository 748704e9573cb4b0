"""Schemathesis hooks for the edge fuzz test (loaded through SCHEMATHESIS_HOOKS).

Two things the built-in checks cannot say: every error body is the JSON `google.rpc.Status` the
README promises (one ErrorInfo reason, no exception text), and which operations were exercised in
which generation mode, so the test can prove positive and negative cases reached every route."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import schemathesis

ERROR_INFO = "type.googleapis.com/google.rpc.ErrorInfo"
# Words that only an internal exception text would put in a message.
LEAKS = ("Traceback", "Exception", 'File "', "grpc._", "psycopg", "sqlalchemy")


def _record(case: Any) -> None:
    journal = os.environ.get("APEXTICK_FUZZ_JOURNAL")
    if journal and case.meta is not None:
        line = json.dumps([case.operation.label, str(case.meta.generation.mode.value)])
        with Path(journal).open("a", encoding="utf-8") as out:
            out.write(line + "\n")


@schemathesis.check
def error_is_a_status(ctx: Any, response: Any, case: Any) -> None:
    """Any 4xx or 5xx is a JSON google.rpc.Status carrying exactly one ErrorInfo reason."""
    _record(case)
    if response.status_code < 400:
        return
    try:
        body = json.loads(response.content)
    except ValueError as error:
        raise AssertionError(f"error body is not JSON: {response.content[:200]!r}") from error
    if not isinstance(body, dict) or not isinstance(body.get("code"), int) or body["code"] <= 0:
        raise AssertionError(f"error body is not a google.rpc.Status: {body!r}"[:400])
    infos = [d for d in body.get("details", []) if d.get("@type") == ERROR_INFO]
    if len(infos) != 1 or not infos[0].get("reason"):
        raise AssertionError(f"error carries no single ErrorInfo reason: {body!r}"[:400])
    message = str(body.get("message", ""))
    if any(leak in message for leak in LEAKS):
        raise AssertionError(f"error message leaks an internal text: {message[:200]!r}")
