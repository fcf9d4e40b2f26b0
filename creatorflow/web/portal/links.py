"""The portal's gate: a link's token checked (``services.portal.links``) and rate-limited.

Each link may make a limited number of requests in a sliding window (pages and forms counted
apart), so a leaked link cannot be used to flood uploads or the platform APIs behind the post
form. The limiter is per process and in memory: enough for ``creatorflow web``'s one process.
"""

from __future__ import annotations

import threading
import time
from collections import defaultdict, deque
from collections.abc import Callable


class RateLimiter:
    """At most ``limit`` hits per key within ``window`` seconds."""

    def __init__(
        self, limit: int, window: float, *, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.limit, self.window, self.clock = limit, window, clock
        self._hits: dict[str, deque[float]] = defaultdict(deque)
        self._lock = threading.Lock()

    def allow(self, key: str) -> float | None:
        """None when allowed (and counted), else the seconds until the next hit is allowed."""
        now = self.clock()
        with self._lock:
            hits = self._hits[key]
            while hits and hits[0] <= now - self.window:
                hits.popleft()
            if len(hits) >= self.limit:
                return max(1.0, hits[0] + self.window - now)
            hits.append(now)
            return None


#: Page views and form posts each link may make per window (seconds).
PAGE_LIMIT, POST_LIMIT, WINDOW = 120, 20, 600.0
