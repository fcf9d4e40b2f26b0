"""Numbers people type (CSV cells, command-line flags, config files): one strict parser per kind.

``count``: a whole number of followers, clicks, leads or sales, written with ASCII digits only
(``str.isdigit()`` also accepts "²" and "٣", which ``int()`` then refuses or misreads), optionally
grouped ``12,500``; never above ``COUNT_MAX``, so a count and the sums of counts fit the 64-bit
columns of SQLite and PostgreSQL.
``money``: a non-negative decimal amount without exponent, NaN or infinity, at most
``MONEY_MAX`` (the ``Numeric(14, 2)`` columns), rounded to cents (or to ``places``).
``rate``: a fraction between 0 and 1, written ``0.035`` or ``3.5%``.

Each raises ``NumberError`` saying what is wrong with the value; the caller adds the place
(``FILE:LINE: column: `` or ``--flag: ``).
"""

from __future__ import annotations

import re
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation

#: The largest count accepted: a million times more followers than anyone has, and a million
#: of them still sum inside a signed 64-bit integer.
COUNT_MAX = 10**12
#: The largest amount the money columns (``Numeric(14, 2)``) hold.
MONEY_MAX = Decimal("999999999999.99")
#: Characters an amount may be written with (before the checks below).
_AMOUNT = re.compile(r"^\d+(\.\d+)?$|^\.\d+$")
_PLAIN_COUNT = re.compile(r"^[0-9]+$")
_GROUPED_COUNT = re.compile(r"^[0-9]{1,3}(,[0-9]{3})+$")
_SCALED_COUNT = re.compile(r"^([0-9]+(?:\.[0-9]+)?)([kmb])$")
_SCALES = {"k": 1_000, "m": 1_000_000, "b": 1_000_000_000}
#: ``12.5k`` as exports write it (no spaces, either case): what ``usual_scaled_count`` takes.
_USUAL_SCALED = re.compile(r"([0-9]{1,12}+(?:\.[0-9]{1,12}+)?+)([kmbKMB])")
_LONGEST = 40  # characters: anything longer is not a number a person typed


class NumberError(ValueError):
    """A value that is not a number of the expected kind, or is out of its bounds."""


def _short(raw: str) -> str:
    text = repr(raw)
    return text if len(text) <= 44 else f"{text[:40]}...{text[0]}"


def parse_count(raw: str, *, maximum: int = COUNT_MAX, scaled: bool = False) -> int | None:
    """A whole non-negative count; ``None`` for an empty cell (unknown, never zero).

    ``scaled`` also accepts the ``12.5k`` / ``1.2M`` / ``3b`` of discovery-tool exports.
    """
    text = raw.strip().replace(" ", "").lower()
    if not text:
        return None
    if len(text) > _LONGEST:
        raise NumberError(f"{_short(raw.strip())} is not a count (too long)")
    if text.startswith("-") and text[1:2].isascii() and text[1:2].isdigit():
        raise NumberError(f"{_short(raw.strip())} must not be negative")
    if _PLAIN_COUNT.match(text):
        value = int(text)
    elif _GROUPED_COUNT.match(text):
        value = int(text.replace(",", ""))
    elif scaled and (match := _SCALED_COUNT.match(text)):
        value = _scaled(match.group(1), _SCALES[match.group(2)])
    else:
        expected = "e.g. 12500, 12,500, 12.5k or 1.2M" if scaled else "e.g. 12500 or 12,500"
        raise NumberError(f"{_short(raw.strip())} is not a count (expected {expected})")
    if value > maximum:
        raise NumberError(f"{_short(raw.strip())} is more than {maximum:,}")
    return value


def usual_scaled_count(raw: str) -> int | None:
    """``parse_count(raw, scaled=True)`` when ``raw`` is a scaled count needing no trimming
    (``12.5k``, ``1.2M``) within ``COUNT_MAX``, else None: the caller then asks ``parse_count``,
    which takes the other forms or says what is wrong. One match instead of the full rules'."""
    match = _USUAL_SCALED.fullmatch(raw)
    if match is None:
        return None
    number, unit = match.groups()
    value = _scaled(number, _SCALES[unit.lower()])
    return value if value <= COUNT_MAX else None


def _scaled(number: str, scale: int) -> int:
    """``number`` (``12.5``) times ``scale``, rounded half up, in exact integer arithmetic.

    The same value as ``Decimal(number) * scale`` rounded ``ROUND_HALF_UP`` (a third of the
    cost: exports write most counts as ``12.5k``), and exact however many digits it has.
    """
    whole, _, fraction = number.partition(".")
    denominator: int = 10 ** len(fraction)
    return (2 * int(whole + fraction) * scale + denominator) // (2 * denominator)


def parse_money(raw: str, *, maximum: Decimal = MONEY_MAX, places: int = 2) -> Decimal | None:
    """A non-negative amount rounded to ``places`` decimals; ``None`` for an empty value.

    Thousands separators (``1,250.50``) are allowed; exponents (``1e30``), ``NaN`` and
    ``Infinity`` are not: nobody writes a fee that way, and Decimal would carry them into
    arithmetic that fails far from here.
    """
    text = raw.strip().replace(",", "")
    if not text:
        return None
    if len(text) > _LONGEST or not _AMOUNT.match(text):
        if text.startswith("-") and _AMOUNT.match(text[1:]):
            raise NumberError(f"{_short(raw.strip())} must be zero or more")
        raise NumberError(f"{_short(raw.strip())} is not an amount (expected e.g. 450 or 450.00)")
    value = Decimal(text)
    if value > maximum:
        raise NumberError(f"{_short(raw.strip())} is more than {maximum:,}")
    return value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_EVEN)


def parse_rate(raw: str) -> Decimal | None:
    """A fraction from 0 to 1: ``0.035`` or ``3.5%`` (both 3.5 %); ``None`` when empty."""
    text = raw.strip().replace(" ", "")
    if not text:
        return None
    percent = text.endswith("%")
    digits = text[:-1] if percent else text
    if len(digits) > _LONGEST or not _AMOUNT.match(digits):
        raise NumberError(f"{_short(raw.strip())} is not a rate (expected e.g. 0.035 or 3.5%)")
    try:
        value = Decimal(digits) / (100 if percent else 1)
    except InvalidOperation:  # pragma: no cover - the pattern admits only plain decimals
        raise NumberError(f"{_short(raw.strip())} is not a rate") from None
    if value > 1:
        raise NumberError(f"{_short(raw.strip())} is more than 100%")
    return value
