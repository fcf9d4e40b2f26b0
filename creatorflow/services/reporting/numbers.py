"""Fixed number formats for reports: the same Decimal always prints the same characters.

Rounding is explicit (half-even at fixed places) so that a re-run prints byte-identical figures,
and an unknown figure prints as a dash, never as 0.
"""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, Decimal

UNKNOWN = "–"
PLACES = {
    "money": Decimal("0.01"),
    "unit": Decimal("0.0001"),  # CPE, CPV: often well under one cent
    "percent": Decimal("0.01"),
    "fraction": Decimal("0.000001"),
}


def quantize(value: Decimal, kind: str) -> Decimal:
    return value.quantize(PLACES[kind], rounding=ROUND_HALF_EVEN)


def count(value: int | None) -> str:
    return UNKNOWN if value is None else f"{value:,}"


def money(value: Decimal | None, currency: str = "") -> str:
    if value is None:
        return UNKNOWN
    text = f"{quantize(value, 'money'):,}"
    return f"{text} {currency}".strip()


def unit_money(value: Decimal | None, currency: str = "") -> str:
    if value is None:
        return UNKNOWN
    text = f"{quantize(value, 'unit'):,}"
    return f"{text} {currency}".strip()


def percent(value: Decimal | None) -> str:
    if value is None:
        return UNKNOWN
    return f"{quantize(value * 100, 'percent')} %"


def csv_decimal(value: Decimal | None, kind: str) -> str:
    """Machine-readable: no thousands separator, fixed places, empty when unknown."""
    return "" if value is None else str(quantize(value, kind))
