"""Sandbox faults every platform adapter must turn into the same typed error."""

from __future__ import annotations

from creatorflow.platforms.errors import AuthError, PermissionDenied

#: (fault the sandbox injects, error the adapter raises at once, without retrying)
PERMANENT_FAULTS: list[tuple[str, type[Exception]]] = [
    ("auth", AuthError),
    ("expired", AuthError),
    ("permission", PermissionDenied),
]
