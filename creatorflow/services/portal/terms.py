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


class TermsMissing(ConfigError):
    """Neither the set nor the default set has a terms file: ``path`` is the one expected.

    The message names the server's path, so it is for the operator's log and the launch's
    refusal only; the portal shows the creator a fixed line instead.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        super().__init__(
            f"no terms: {path} is missing (the portal, CREATORFLOW_PORTAL_BASE_URL, "
            "shows each offer's terms)"
        )


def terms_file(templates_dir: Path, template_set: str) -> tuple[str, Path]:
    """The set's terms file, else the default set's: (set name, path); ``TermsMissing``."""
    for name in (template_set, "default"):
        path = templates_dir / "outreach" / name / TERMS_FILE
        if path.is_file():
            return name, path
    raise TermsMissing(templates_dir / "outreach" / template_set / TERMS_FILE)


def load_terms(templates_dir: Path, template_set: str) -> Terms:
    """The set's terms, else the default set's; ``TermsMissing`` when neither exists."""
    name, path = terms_file(templates_dir, template_set)
    text = path.read_text(encoding="utf-8")
    digest = hashlib.sha256(text.encode()).hexdigest()[:12]
    return Terms(f"sha256:{digest}", text, f"outreach/{name}/{TERMS_FILE}")
