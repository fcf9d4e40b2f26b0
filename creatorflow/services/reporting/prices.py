"""Loading a versioned EMV price table from ``config/prices/<version>.yaml``.

Prices live in operator-edited files, not in code, so a brand can use its own values and a past
report can be reproduced with the table it named.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from pathlib import Path

import yaml

from creatorflow.domain.metrics import PRICE_KEYS, PriceTable
from creatorflow.errors import ConfigError


def load_price_table(config_dir: Path, version: str) -> PriceTable:
    """The price table ``version``; a missing file or a bad price names the file and the key."""
    if not version or "/" in version or version.startswith("."):
        raise ConfigError(f"EMV price table version {version!r} is not a valid name")
    path = config_dir / "prices" / f"{version}.yaml"
    if not path.is_file():
        raise ConfigError(f"{path}: EMV price table {version!r} not found")
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML ({exc})") from None
    if not isinstance(data, dict) or not isinstance(data.get("prices"), dict):
        raise ConfigError(f"{path}: expected a mapping with 'version', 'currency' and 'prices'")
    if str(data.get("version")) != version:
        raise ConfigError(f"{path}: 'version' is {data.get('version')!r}, expected {version!r}")
    prices: dict[str, Decimal] = {}
    for key, raw in data["prices"].items():
        if key not in PRICE_KEYS:
            raise ConfigError(
                f"{path}: prices.{key}: unknown action (one of {', '.join(PRICE_KEYS)})"
            )
        try:
            value = Decimal(str(raw))
        except InvalidOperation:
            raise ConfigError(f"{path}: prices.{key}: {raw!r} is not a number") from None
        if not value.is_finite() or value < 0:  # NaN first: comparing it raises
            raise ConfigError(f"{path}: prices.{key}: must be a non-negative number")
        prices[key] = value
    currency = data.get("currency")
    if not isinstance(currency, str) or len(currency) != 3:
        raise ConfigError(f"{path}: 'currency' must be a three-letter code")
    return PriceTable(
        version=version, currency=currency, prices=prices, source=str(data.get("source", ""))
    )
