"""The one text policy: names fold to one printable line, descriptions keep their paragraphs."""

from __future__ import annotations

import pytest

from apextick_platform.text import one_line, paragraph


@pytest.mark.parametrize(
    ("raw", "stored"),
    [
        ("Monsoon\nBeats", "Monsoon Beats"),
        ("  Monsoon \r\n\t Beats  ", "Monsoon Beats"),
        ("A\u2028B\u0085C", "A B C"),
        ("Be\x07ll\x1b[31m", "Bell[31m"),
        ("Cafe\u0301", "Caf\u00e9"),  # NFC: one code point per letter
        ("\u200f\u05e9\u05dc\u05d5\u05dd\u200f", "\u200f\u05e9\u05dc\u05d5\u05dd\u200f"),  # RTL marks stay
        ("Fam \U0001f468\u200d\U0001f469\u200d\U0001f467", "Fam \U0001f468\u200d\U0001f469\u200d\U0001f467"),
    ],
)
def test_names_fold_to_one_line(raw: str, stored: str) -> None:
    assert one_line(raw) == stored
    assert one_line(stored) == stored  # idempotent: folding again changes nothing


def test_descriptions_keep_paragraphs_but_no_other_controls() -> None:
    assert paragraph("One\r\nTwo\u2029Three\x00\x07") == "One\nTwo\n\nThree"
