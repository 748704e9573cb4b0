"""The one text policy of every service: what booking accepts, notification can always render and send.

Names (events, venues, tiers, sections, buyers) are printed on one line of a ticket and in mail
headers, so they are folded to one line at the source: Unicode NFC, any run of whitespace (line
breaks, tabs, U+2028, U+0085 ...) becomes one space, and other control characters go. Marks that
shape text (RTL marks, zero-width joiners in emoji) stay. Descriptions keep their line breaks but lose
the other controls. The same functions run again on receipt, so text written before this policy, or
by another producer, is delivered the same way and never dead-letters an order."""

from __future__ import annotations

import re
import unicodedata

_WHITESPACE = re.compile(r"\s+")
_KEEP_IN_PARAGRAPHS = frozenset("\n\t")


def _without_controls(text: str, keep: frozenset[str] = frozenset()) -> str:
    return "".join(ch for ch in text if ch in keep or unicodedata.category(ch) != "Cc")


def one_line(text: str) -> str:
    """A name as it is stored and printed: NFC, one line, single spaces, trimmed."""
    folded = _WHITESPACE.sub(" ", unicodedata.normalize("NFC", text))
    return _without_controls(folded).strip()


def paragraph(text: str) -> str:
    """A description: NFC, line breaks as \\n, no other controls, trimmed."""
    normalized = unicodedata.normalize("NFC", text).replace("\r\n", "\n").replace("\r", "\n")
    normalized = normalized.replace("\u2028", "\n").replace("\u2029", "\n\n").replace("\x85", "\n")
    return _without_controls(normalized, _KEEP_IN_PARAGRAPHS).strip()
