"""`creatorflow creators ...`"""

from __future__ import annotations

from creatorflow.cli.app import creators_app  # noqa: F401
