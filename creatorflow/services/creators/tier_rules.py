"""Loading `config/tiers.yaml` into the pure ``TierRules`` (the only I/O tiers need)."""

from __future__ import annotations

from pathlib import Path

import yaml

from creatorflow.domain.tiers import TierRules, TierRulesError
from creatorflow.errors import ConfigError

TIERS_FILE = "tiers.yaml"


def load_tier_rules(path: Path) -> TierRules:
    """Read and validate a tier file; every problem names the file and the field."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read tier rules ({exc.strerror or exc})") from None
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: not UTF-8 text") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 1})" if mark is not None else ""
        raise ConfigError(f"{path}: invalid YAML{where}") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: expected a mapping with 'tiers' and 'min_followers'")
    try:
        return TierRules.from_mapping(data)
    except TierRulesError as exc:
        raise ConfigError(f"{path}: {exc}") from None


def load_default_tier_rules(config_dir: Path) -> TierRules:
    """The operator's tier rules from ``<config_dir>/tiers.yaml``."""
    return load_tier_rules(config_dir / TIERS_FILE)
