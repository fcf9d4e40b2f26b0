"""Operator-edited YAML files (campaigns, tier rules), read one way.

Whatever goes wrong (missing file, not UTF-8, broken YAML) is one error naming the file, so the
command line prints a line the operator can act on instead of a traceback.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from creatorflow.errors import CreatorflowError


def read_yaml(path: Path, *, what: str, error: type[CreatorflowError]) -> Any:
    """The parsed content of ``path`` (a ``what``: "campaign file"); failures raise ``error``."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise error(f"{path}: no such {what}") from None
    except UnicodeDecodeError:
        raise error(f"{path}: not UTF-8 text; save the {what} as UTF-8") from None
    except OSError as exc:
        raise error(f"{path}: cannot read the {what} ({exc.strerror or exc})") from None
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        raise error(f"{path}: not valid YAML{where}") from None
