"""One typed reader of the environment for every ApexTick process.

The rules are the same everywhere: an empty or blank variable counts as unset (so `APEXTICK_X=` in a
shell file means "use the default", never a crash deep in `int()`); a malformed value raises
SettingsError naming the variable; booleans are strict (a typo such as `ture` is an error, not false);
and secrets never reach a repr or a log: settings classes built with `secret_field` and `RedactedRepr`
print `***` in their place (and only the password of a URL).
"""

from __future__ import annotations

import dataclasses
import math
import os
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit, urlunsplit

_TRUE = frozenset({"1", "true", "yes", "on"})
_FALSE = frozenset({"0", "false", "no", "off"})
_SECRET = "apextick.secret"  # noqa: S105 - the metadata key that marks a secret field
MASK = "***"


class SettingsError(ValueError):
    """A required variable is missing or a variable is malformed; the message names it."""


class Env:
    """Typed access to one environment (os.environ unless a mapping is given, as tests do)."""

    def __init__(self, values: Mapping[str, str] | None = None) -> None:
        self._values = os.environ if values is None else values

    @classmethod
    def of(cls, source: Env | Mapping[str, str] | None = None) -> Env:
        """An Env as it is, or one over a mapping (os.environ when None)."""
        return source if isinstance(source, Env) else cls(source)

    def raw(self, name: str) -> str | None:
        """The stripped value, or None when the variable is unset or blank."""
        value = self._values.get(name, "").strip()
        return value or None

    def text(self, name: str, default: str = "") -> str:
        value = self.raw(name)
        return default if value is None else value

    def required(self, name: str) -> str:
        value = self.raw(name)
        if value is None:
            raise SettingsError(f"{name} must be set")
        return value

    def integer(self, name: str, default: int, *, minimum: int | None = None) -> int:
        value = self.optional_integer(name)
        result = default if value is None else value
        if minimum is not None and result < minimum:
            raise SettingsError(f"{name} must be at least {minimum}, not {result}")
        return result

    def optional_integer(self, name: str) -> int | None:
        value = self.raw(name)
        if value is None:
            return None
        try:
            return int(value)
        except ValueError:
            raise SettingsError(f"{name} must be a whole number, not {value!r}") from None

    def integers(self, name: str) -> tuple[int, ...]:
        """A comma-separated list of whole numbers; () when unset."""
        value = self.raw(name)
        if value is None:
            return ()
        try:
            return tuple(int(part) for part in value.split(",") if part.strip())
        except ValueError:
            raise SettingsError(f"{name} must be whole numbers separated by commas, not {value!r}") from None

    def number(self, name: str, default: float, *, minimum: float | None = None) -> float:
        value = self.raw(name)
        try:
            result = default if value is None else float(value)
        except ValueError:
            raise SettingsError(f"{name} must be a number, not {value!r}") from None
        if not math.isfinite(result):
            raise SettingsError(f"{name} must be a finite number, not {value!r}")
        if minimum is not None and result < minimum:
            raise SettingsError(f"{name} must be at least {minimum}, not {result}")
        return result

    def flag(self, name: str, default: bool) -> bool:  # noqa: FBT001 - the default is the point
        value = self.raw(name)
        if value is None:
            return default
        lowered = value.lower()
        if lowered in _TRUE:
            return True
        if lowered in _FALSE:
            return False
        raise SettingsError(f"{name} must be one of 1/true/yes/on or 0/false/no/off, not {value!r}")


def sqlalchemy_url(url: str, name: str = "APEXTICK_DATABASE_URL") -> str:
    """Accept plain `postgresql://` URLs (what psql takes) and pin SQLAlchemy to psycopg 3."""
    for prefix in ("postgresql+psycopg://", "postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    raise SettingsError(f"{name} must be a postgresql:// URL")


def libpq_url(sqlalchemy_url: str) -> str:
    """The same database for psycopg directly (the hot paths skip SQLAlchemy)."""
    return sqlalchemy_url.replace("postgresql+psycopg://", "postgresql://", 1)


def secret_field(default: str | None = "") -> Any:
    """A dataclass field whose value is redacted by RedactedRepr (None: a required field)."""
    if default is None:
        return dataclasses.field(metadata={_SECRET: True})
    return dataclasses.field(default=default, metadata={_SECRET: True})


def redact(value: object) -> str:
    """`***` for a secret; for a URL, only its password is masked (host and port help debugging)."""
    text = str(value)
    if not text:
        return repr(text)
    parts = urlsplit(text)
    if parts.scheme and parts.hostname and "@" in parts.netloc:
        user = parts.username or ""
        host = parts.netloc.rsplit("@", 1)[1]
        return repr(urlunsplit(parts._replace(netloc=f"{user}:{MASK}@{host}")))
    if parts.scheme and parts.hostname:
        return repr(text)  # a URL with no credentials in it
    return repr(MASK)


class RedactedRepr:
    """Mixin for `@dataclass(repr=False)` settings: the usual repr, with secret fields redacted."""

    def __repr__(self) -> str:
        shown = []
        for item in dataclasses.fields(self):  # type: ignore[arg-type]
            value = getattr(self, item.name)
            text = redact(value) if item.metadata.get(_SECRET) else repr(value)
            shown.append(f"{item.name}={text}")
        return f"{type(self).__name__}({', '.join(shown)})"
