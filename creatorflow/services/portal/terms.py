"""The campaign's terms: versioned text in its template set (``outreach/<set>/terms.md``).

The version is the text's own digest, so an edited file is a new version without anyone
remembering to bump a number, and an acceptance event names exactly the words accepted.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from creatorflow.errors import ConfigError

TERMS_FILE = "terms.md"


@dataclass(frozen=True)
class Terms:
    version: str  # sha256:<first 12 hex digits of the text's digest>
    text: str
    source: str  # the file, relative to the templates folder

    def paragraphs(self) -> list[str]:
        return [p.strip() for p in self.text.split("\n\n") if p.strip()]


def load_terms(templates_dir: Path, template_set: str) -> Terms:
    """The set's terms, else the default set's; ``ConfigError`` when neither exists."""
    for name in (template_set, "default"):
        path = templates_dir / "outreach" / name / TERMS_FILE
        if path.is_file():
            text = path.read_text(encoding="utf-8")
            digest = hashlib.sha256(text.encode()).hexdigest()[:12]
            return Terms(f"sha256:{digest}", text, f"outreach/{name}/{TERMS_FILE}")
    raise ConfigError(f"no terms: {templates_dir / 'outreach' / template_set / TERMS_FILE}")
