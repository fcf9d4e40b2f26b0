"""Reading platform JSON into typed values, failing with one clear ``MalformedResponse``.

Adapters parse at the edge: a missing required field or a wrong type becomes a message that
names the platform, the account and the field path, never a ``KeyError`` from deep inside.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from creatorflow.platforms.errors import MalformedResponse


class Reader:
    """Typed access to one JSON object; ``where`` is the path shown in error messages."""

    def __init__(self, platform: str, data: Any, where: str, account: str | None = None) -> None:
        self.platform = platform
        self.account = account
        self.where = where
        if not isinstance(data, dict):
            raise self.error(f"expected an object, got {type(data).__name__}")
        self.data: dict[str, Any] = data

    def error(self, problem: str, key: str | None = None) -> MalformedResponse:
        place = f"{self.where}.{key}" if key else self.where
        return MalformedResponse(
            self.platform, f"unexpected answer at {place}: {problem}", account=self.account
        )

    def has(self, key: str) -> bool:
        return self.data.get(key) is not None

    def obj(self, key: str, *, required: bool = True) -> Reader | None:
        value = self.data.get(key)
        if value is None:
            if required:
                raise self.error("missing", key)
            return None
        return Reader(self.platform, value, f"{self.where}.{key}", self.account)

    def objects(self, key: str, *, required: bool = True) -> list[Reader]:
        value = self.data.get(key)
        if value is None:
            if required:
                raise self.error("missing", key)
            return []
        if not isinstance(value, list):
            raise self.error(f"expected a list, got {type(value).__name__}", key)
        return [
            Reader(self.platform, item, f"{self.where}.{key}[{i}]", self.account)
            for i, item in enumerate(value)
        ]

    def text(self, key: str, *, required: bool = True) -> str | None:
        value = self.data.get(key)
        if value is None:
            if required:
                raise self.error("missing", key)
            return None
        if not isinstance(value, str):
            raise self.error(f"expected text, got {type(value).__name__}", key)
        return value

    def req_str(self, key: str) -> str:
        value = self.text(key)
        assert value is not None
        return value

    def flag(self, key: str) -> bool | None:
        value = self.data.get(key)
        if value is None:
            return None
        if not isinstance(value, bool):
            raise self.error(f"expected true/false, got {type(value).__name__}", key)
        return value

    def count(self, key: str, *, as_string: bool = False) -> int | None:
        """A count; ``None`` when absent (unknown). YouTube sends counts as digit strings."""
        value = self.data.get(key)
        if value is None:
            return None
        if as_string:
            if not isinstance(value, str) or not (value.isascii() and value.isdigit()):
                raise self.error(f"expected a count as a digit string, got {value!r}", key)
            return int(value)
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise self.error(f"expected a whole number, got {value!r}", key)
        return int(value)

    def timestamp(self, key: str, *, required: bool = False) -> datetime | None:
        """RFC 3339 (``...Z``, ``.000Z``) or Meta's ``+0000`` form, as aware UTC."""
        value = self.text(key, required=required)
        if value is None:
            return None
        iso = value.replace("Z", "+00:00")
        if len(iso) > 5 and iso[-5] in "+-" and iso[-3] != ":":
            iso = iso[:-2] + ":" + iso[-2:]
        try:
            parsed = datetime.fromisoformat(iso)
        except ValueError:
            raise self.error(f"expected a timestamp, got {value!r}", key) from None
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=UTC)
        return parsed.astimezone(UTC)

    def epoch(self, key: str) -> datetime | None:
        value = self.data.get(key)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.error(f"expected epoch seconds, got {value!r}", key)
        return datetime.fromtimestamp(value, UTC)
