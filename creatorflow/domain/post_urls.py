"""Reading a post URL a creator submitted: which platform, which post. Parsed, never fetched.

Accepted forms (platform_apis.md 1.3 C, 2.3 D, 3.1):
YouTube ``watch?v=ID``, ``youtu.be/ID``, ``/shorts/ID``, ``/live/ID`` (ID: 11 characters);
Instagram ``/p/SHORTCODE/`` and ``/reel/SHORTCODE/``; TikTok ``/@user/video/ID`` (digits).
Anything else is refused with the reason, so the operator can tell the creator what to send.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

from creatorflow.domain.model import Platform
from creatorflow.errors import InputError

_YOUTUBE_ID = re.compile(r"^[A-Za-z0-9_-]{11}$")
_SHORTCODE = re.compile(r"^[A-Za-z0-9_-]{5,64}$")
_TIKTOK_ID = re.compile(r"^\d{8,25}$")
_TIKTOK_USER = re.compile(r"^@([A-Za-z0-9._]{1,24})$")

_YOUTUBE_HOSTS = {"youtube.com", "www.youtube.com", "m.youtube.com", "music.youtube.com"}
_YOUTU_BE = {"youtu.be", "www.youtu.be"}
_INSTAGRAM_HOSTS = {"instagram.com", "www.instagram.com", "m.instagram.com"}
_TIKTOK_HOSTS = {"tiktok.com", "www.tiktok.com", "m.tiktok.com"}
_TIKTOK_SHORT = {"vm.tiktok.com", "vt.tiktok.com"}


class PostUrlError(InputError):
    """The URL is not a post URL creatorflow can read; the message says why."""


@dataclass(frozen=True)
class PostRef:
    """A post identified from its URL.

    ``post_id`` is the platform's id for YouTube and TikTok; for Instagram it is the shortcode,
    which the Graph API cannot look up: it is matched against the creator's media permalinks.
    """

    platform: Platform
    post_id: str
    url: str  # canonical form
    handle: str | None = None  # TikTok URLs carry the author's handle (lower-cased)

    @property
    def shortcode(self) -> str | None:
        return self.post_id if self.platform is Platform.INSTAGRAM else None


def _segments(path: str) -> list[str]:
    return [part for part in path.split("/") if part]


def parse_post_url(raw: str) -> PostRef:
    """The post a URL points at, or ``PostUrlError`` naming what is wrong with it."""
    text = raw.strip()
    if not text:
        raise PostUrlError("post URL is empty")
    if any(ch.isspace() for ch in text):
        raise PostUrlError(f"post URL {raw!r} contains spaces")
    if "://" not in text:
        text = "https://" + text
    try:
        parts = urlsplit(text)
        host = (parts.hostname or "").lower()
    except ValueError as exc:
        raise PostUrlError(f"post URL {raw!r} is malformed: {exc}") from None
    if parts.scheme.lower() not in {"http", "https"}:
        raise PostUrlError(f"post URL {raw!r}: only http(s) links are accepted")
    if not host:
        raise PostUrlError(f"post URL {raw!r} has no host")
    segments = _segments(parts.path)
    if host in _YOUTUBE_HOSTS or host in _YOUTU_BE:
        return _youtube(raw, host, segments, parts.query)
    if host in _INSTAGRAM_HOSTS:
        return _instagram(raw, segments)
    if host in _TIKTOK_HOSTS:
        return _tiktok(raw, segments)
    if host in _TIKTOK_SHORT:
        raise PostUrlError(
            f"post URL {raw!r} is a TikTok short link; open it and submit the full "
            "https://www.tiktok.com/@user/video/ID address (links are never fetched)"
        )
    raise PostUrlError(
        f"post URL {raw!r}: unknown host {host!r} (YouTube, Instagram and TikTok post links only)"
    )


def _youtube(raw: str, host: str, segments: list[str], query: str) -> PostRef:
    video_id: str | None = None
    if host in _YOUTU_BE:
        video_id = segments[0] if len(segments) == 1 else None
    elif segments == ["watch"]:
        values = parse_qs(query).get("v", [])
        video_id = values[0] if len(values) == 1 else None
    elif len(segments) == 2 and segments[0] in {"shorts", "live", "embed"}:
        video_id = segments[1]
    if video_id is None:
        raise PostUrlError(
            f"post URL {raw!r} is not a YouTube video link "
            "(expected watch?v=ID, youtu.be/ID, /shorts/ID or /live/ID)"
        )
    if not _YOUTUBE_ID.match(video_id):
        raise PostUrlError(f"post URL {raw!r}: {video_id!r} is not an 11-character YouTube id")
    return PostRef(Platform.YOUTUBE, video_id, f"https://www.youtube.com/watch?v={video_id}")


def _instagram(raw: str, segments: list[str]) -> PostRef:
    # /p/CODE/, /reel/CODE/, and the same under a username prefix (/user/p/CODE/)
    if len(segments) == 3 and segments[1] in {"p", "reel", "reels"}:
        segments = segments[1:]
    if len(segments) != 2 or segments[0] not in {"p", "reel", "reels"}:
        raise PostUrlError(
            f"post URL {raw!r} is not an Instagram post link (expected /p/CODE/ or /reel/CODE/)"
        )
    code = segments[1]
    if not _SHORTCODE.match(code):
        raise PostUrlError(f"post URL {raw!r}: {code!r} is not an Instagram shortcode")
    kind = "p" if segments[0] == "p" else "reel"
    return PostRef(Platform.INSTAGRAM, code, f"https://www.instagram.com/{kind}/{code}/")


def _tiktok(raw: str, segments: list[str]) -> PostRef:
    if segments and segments[0] == "t":
        raise PostUrlError(
            f"post URL {raw!r} is a TikTok short link; submit the full "
            "https://www.tiktok.com/@user/video/ID address (links are never fetched)"
        )
    user = _TIKTOK_USER.match(segments[0]) if segments else None
    if len(segments) != 3 or user is None or segments[1] != "video":
        raise PostUrlError(
            f"post URL {raw!r} is not a TikTok video link (expected /@user/video/ID)"
        )
    video_id = segments[2]
    if not _TIKTOK_ID.match(video_id):
        raise PostUrlError(f"post URL {raw!r}: {video_id!r} is not a TikTok video id")
    handle = user.group(1).lower()
    return PostRef(
        Platform.TIKTOK, video_id, f"https://www.tiktok.com/@{handle}/video/{video_id}", handle
    )


def instagram_shortcode(permalink: str | None) -> str | None:
    """The shortcode in an Instagram permalink (to match a submitted URL), else ``None``."""
    if not permalink:
        return None
    try:
        ref = parse_post_url(permalink)
    except PostUrlError:
        return None
    return ref.shortcode
