"""API calls per refreshed YouTube account against the sandbox, versus the minimum possible.

Refreshes N channels (followers + their recent uploads with statistics) through the real service
and counts the requests at the local server. The minimum for that job is ceil(N/50) channels.list
+ N playlistItems.list (one page each) + ceil(total videos / 50) videos.list. A naive adapter
(one channels.list per channel, one videos.list per channel) is shown for comparison.
Goal: ratio <= 1.0x (no call beyond the minimum).
"""

from __future__ import annotations

import math
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from creatorflow.domain.model import Platform  # noqa: E402
from creatorflow.sandbox import SandboxServers, World  # noqa: E402
from creatorflow.services.creators.refresh import refresh_creators  # noqa: E402
from creatorflow.settings import Settings  # noqa: E402
from creatorflow.storage.db import engine_for, session_scope  # noqa: E402
from creatorflow.storage.migrate import upgrade  # noqa: E402
from creatorflow.storage.models import Account, Creator  # noqa: E402

N = 500
POSTS = 3


def main() -> None:
    now = datetime(2027, 3, 1, 9, tzinfo=UTC)
    world = World(now=now)
    accounts = world.populate(Platform.YOUTUBE, N, posts_each=POSTS)
    with tempfile.TemporaryDirectory() as tmp, SandboxServers(world) as sandbox:
        url = f"sqlite:///{tmp}/bench.db"
        upgrade(url)
        engine = engine_for(url)
        with session_scope(engine) as session:
            for account in accounts:
                creator = Creator(
                    name=account.handle,
                    lawful_basis="x",
                    source="bench",
                    created_at=now,
                    updated_at=now,
                )
                session.add(creator)
                session.flush()
                session.add(
                    Account(
                        creator_id=creator.id,
                        platform="youtube",
                        handle=account.external_id,
                        status="unverified",
                        created_at=now,
                        updated_at=now,
                    )
                )
        settings = Settings(
            _env_file=None,
            database_url=url,  # type: ignore[call-arg]
            **sandbox.settings_values(),
        )
        started = time.perf_counter()
        summary = refresh_creators(
            engine=engine, settings=settings, platform=Platform.YOUTUBE, now=now, actor="bench"
        )
        elapsed = time.perf_counter() - started
        calls = sandbox.youtube.calls()
        engine.dispose()
    videos = N * min(POSTS, 12)
    minimum = math.ceil(N / 50) + N + math.ceil(videos / 50)
    naive = N + N + N  # channels.list, playlistItems.list, videos.list per channel
    ratio = calls / minimum
    print(f"refreshed {summary.refreshed} channels in {elapsed:.2f}s")
    print(f"API calls: {calls} ({calls / max(1, summary.refreshed):.3f} per account)")
    print(f"minimum:   {minimum} ({minimum / N:.3f} per account)")
    print(f"naive:     {naive} ({naive / N:.3f} per account, {naive / minimum:.2f}x the minimum)")
    print(f"quota units: {summary.quota_units}")
    status = "met" if ratio <= 1.0 and summary.refreshed == N else "MISSED"
    print(f"poll_youtube {ratio:.2f}x goal <=1.0x {status}")


if __name__ == "__main__":
    main()
