"""Loading `config/tiers.yaml` into the pure ``TierRules`` (the only I/O tiers need)."""

from __future__ import annotations

from pathlib import Path

from creatorflow.domain.tiers import TierRules, TierRulesError
from creatorflow.errors import ConfigError
from creatorflow.yaml_files import read_yaml

TIERS_FILE = "tiers.yaml"


def load_tier_rules(path: Path) -> TierRules:
    """Read and validate a tier file; every problem names the file and the field."""
    data = read_yaml(path, what="tier rules file", error=ConfigError)
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: expected a mapping with 'tiers' and 'min_followers'")
    try:
        return TierRules.from_mapping(data)
    except TierRulesError as exc:
        raise ConfigError(f"{path}: {exc}") from None


def load_default_tier_rules(config_dir: Path) -> TierRules:
    """The operator's tier rules from ``<config_dir>/tiers.yaml``."""
    return load_tier_rules(config_dir / TIERS_FILE)
