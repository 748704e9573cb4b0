"""Amounts between our minor units (an int, never a float) and the decimal strings providers speak."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

# ISO 4217 exponents that differ from the usual 2. Only what the providers we use can send matters here.
_EXPONENTS = {"JPY": 0, "KRW": 0}
# ASCII digits only (\d would take any script's digits) and bounded, so no amount overflows a bigint.
_PLAIN_DECIMAL = re.compile(r"[0-9]{1,15}(\.[0-9]{1,6})?", re.ASCII)


def exponent(currency_code: str) -> int:
    return _EXPONENTS.get(currency_code.upper(), 2)


def format_major(amount_minor: int, currency_code: str) -> str:
    """100010 LKR -> "1000.10": the fixed-point text PayHere's and Onepay's hashes are computed over."""
    places = exponent(currency_code)
    value = Decimal(amount_minor).scaleb(-places)
    return f"{value:.{places}f}"


def parse_major(text: object, currency_code: str) -> int:
    """Parse "1000.10" LKR to 100010, exactly (Decimal, never float). Rejects signs, exponents, thousands
    separators and more decimal places than the currency has, since a provider that sends those is not one we
    understand. Raises ValueError."""
    raw = str(text).strip()
    if not _PLAIN_DECIMAL.fullmatch(raw):
        raise ValueError(f"not a plain decimal amount: {raw[:32]!r}")
    try:
        scaled = Decimal(raw).scaleb(exponent(currency_code))
    except InvalidOperation as exc:  # pragma: no cover - the pattern already rules this out
        raise ValueError("not a decimal amount") from exc
    if scaled != scaled.to_integral_value():
        raise ValueError(f"more decimal places than {currency_code} has: {raw[:32]!r}")
    return int(scaled)
