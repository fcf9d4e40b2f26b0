"""Faithful local stand-ins for the YouTube, Instagram and TikTok APIs, fed by an in-memory world.

Tests, benchmarks and ``creatorflow demo`` run the real adapters against these servers: same
paths, parameters, JSON shapes, pagination, quota and error envelopes as
reference/platform_apis.md, on 127.0.0.1 with an ephemeral port, each in a background thread.

Usage::

    from creatorflow.sandbox import SandboxServers, World

    world = World(now=datetime(2027, 3, 1, 9, tzinfo=UTC))   # or World() for the real clock
    world.add_account("youtube", "glowwithmia", followers=48_200)
    world.add_account("instagram", "mia.glow", followers=12_500)        # professional by default
    world.add_account("instagram", "private_person", professional=False)  # -> 110/2207013
    world.add_account("tiktok", "miaglow", followers=9_100)             # connected by default
    video = world.add_post("youtube", "glowwithmia", title="My routine",
                           text="Morning routine #glow2027 #ad", views=1000, likes=50, comments=3)

    with SandboxServers(world) as sandbox:
        settings = Settings(database_url=..., **sandbox.settings_values())
        # sandbox.urls.youtube / .instagram / .tiktok are the base URLs;
        # settings_values() also gives the API key, IG token + brand user id and the
        # TikTok tokens ("handle=token" pairs) of the connected TikTok accounts.
        ...  # run services / flows / CLI with these settings

        # simulate days passing while the servers run:
        world.set_now(world.now() + timedelta(days=1))
        world.grow_metrics(video.post_id, 1.5)              # every known count x1.5
        world.update_post(video.post_id, likes=None)        # likes hidden from now on
        world.update_account("youtube", "glowwithmia", followers=51_000)
        world.add_post("instagram", "mia.glow", text="#glow2027 @lumenskincare", likes=10)
        world.add_post("instagram", "mia.glow", tagged=("lumenskincare",))  # the brand's tags
        world.update_account("tiktok", "miaglow", scopes=frozenset({"user.info.basic"}))
        world.delete_post(video.post_id)                    # gone: dropped from videos.list

        # faults, consumed in order (times=None: until clear_faults()); path= limits them:
        sandbox.youtube.fail("quota")                       # 403 quotaExceeded
        sandbox.youtube.fail("rate_limit", retry_after=2)   # 429 with Retry-After
        sandbox.instagram.fail("rate_limit", code=17)       # Meta throttle code 17
        sandbox.tiktok.fail("server_error", times=2)        # two 500 internal_error
        sandbox.tiktok.fail("expired")                      # 401 access_token_invalid
        sandbox.tiktok.fail("expired", token="act.sandbox.miaglow")  # that creator only
        sandbox.instagram.fail("rate_limit", account="mia.glow")  # her discovery calls only
        sandbox.youtube.fail("html")                        # 502 HTML error page
        sandbox.youtube.fail("malformed")                   # 200 with broken JSON
        sandbox.youtube.fail("slow", delay=0.5)             # answer after 0.5 s
        sandbox.youtube.fail("body", status=200, body={"items": "nope"})  # any body

        # the request log (secrets shown as "***"):
        sandbox.youtube.calls("/channels")                  # requests whose path contains it
        sandbox.youtube.units_used                          # quota units charged so far
        [entry.params for entry in sandbox.youtube.log]

Knobs: ``SandboxServers(world, youtube_quota=10_000, youtube_search_cost=100,
youtube_search_bucket=None, instagram_usage_limit=None, tiktok_rate_limit=600)``. Each server
can also be used alone: ``with YouTubeServer(world) as yt: yt.url``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from creatorflow.domain.model import Platform
from creatorflow.sandbox.instagram import (
    SANDBOX_BRAND_IG_USER_ID,
    SANDBOX_BRAND_USERNAME,
    SANDBOX_INSTAGRAM_TOKEN,
    InstagramServer,
)
from creatorflow.sandbox.server import ApiServer, Fault, LoggedRequest
from creatorflow.sandbox.tiktok import TikTokServer
from creatorflow.sandbox.world import TIKTOK_SCOPES, SandboxAccount, SandboxPost, World
from creatorflow.sandbox.youtube import SANDBOX_YOUTUBE_KEY, YouTubeServer

__all__ = [
    "SANDBOX_BRAND_IG_USER_ID",
    "SANDBOX_BRAND_USERNAME",
    "SANDBOX_INSTAGRAM_TOKEN",
    "SANDBOX_YOUTUBE_KEY",
    "ApiServer",
    "Fault",
    "InstagramServer",
    "LoggedRequest",
    "SandboxAccount",
    "SandboxPost",
    "SandboxServers",
    "SandboxURLs",
    "TIKTOK_SCOPES",
    "TikTokServer",
    "World",
    "YouTubeServer",
]


@dataclass(frozen=True)
class SandboxURLs:
    youtube: str
    instagram: str
    tiktok: str


class SandboxServers:
    """The three servers over one world; a context manager, or ``start()`` / ``stop()``."""

    def __init__(
        self,
        world: World,
        *,
        youtube_quota: int = 10_000,
        youtube_search_cost: int = 100,
        youtube_search_bucket: int | None = None,
        instagram_usage_limit: int | None = None,
        tiktok_rate_limit: int = 600,
    ) -> None:
        self.world = world
        self.youtube = YouTubeServer(
            world,
            quota_limit=youtube_quota,
            search_cost=youtube_search_cost,
            search_bucket=youtube_search_bucket,
        )
        self.instagram = InstagramServer(world, usage_limit=instagram_usage_limit)
        self.tiktok = TikTokServer(world, rate_limit_per_minute=tiktok_rate_limit)
        self.urls = SandboxURLs("", "", "")

    def start(self) -> SandboxURLs:
        try:
            self.urls = SandboxURLs(
                youtube=self.youtube.start(),
                instagram=self.instagram.start(),
                tiktok=self.tiktok.start(),
            )
        except BaseException:
            self.stop()
            raise
        return self.urls

    def stop(self) -> None:
        for server in (self.youtube, self.instagram, self.tiktok):
            server.stop()

    def __enter__(self) -> SandboxServers:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def server(self, platform: Platform | str) -> ApiServer:
        return {"youtube": self.youtube, "instagram": self.instagram, "tiktok": self.tiktok}[
            Platform(platform).value
        ]

    def tiktok_tokens(self) -> str:
        """``handle=token`` pairs of the connected TikTok accounts (the token setting)."""
        return ",".join(
            f"{a.handle}={a.tiktok_token}"
            for a in self.world.accounts(Platform.TIKTOK)
            if a.connected
        )

    def settings_values(self) -> dict[str, Any]:
        """Keyword arguments for ``Settings(...)`` pointing every adapter at this sandbox."""
        return {
            "youtube_base_url": self.urls.youtube,
            "youtube_api_key": SANDBOX_YOUTUBE_KEY,
            "youtube_search_cost": self.youtube.search_cost,
            "instagram_base_url": self.urls.instagram,
            "instagram_access_token": SANDBOX_INSTAGRAM_TOKEN,
            "instagram_user_id": SANDBOX_BRAND_IG_USER_ID,
            "tiktok_base_url": self.urls.tiktok,
            "tiktok_access_token": self.tiktok_tokens() or "act.sandbox.none",
        }

    def env(self) -> dict[str, str]:
        """The same as environment variables (for a CLI run in a subprocess)."""
        return {f"CREATORFLOW_{k.upper()}": str(v) for k, v in self.settings_values().items()}
