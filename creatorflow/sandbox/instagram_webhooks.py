"""The sandbox Instagram's webhooks: signed notifications POSTed to a receiver as time passes.

Meta notifies the brand's app when a public account @mentions the brand in a caption or a
comment (the ``mentions`` field: ``media_id``, plus ``comment_id``) and when it mentions the brand
in a story (a messaging webhook whose attachment has ``type: story_mention`` and the story's CDN
URL; the sender is an Instagram-scoped id, IGSID). The sender builds exactly those shapes,
schedules each at its moment on the world's clock, and ``deliver_due`` POSTs the ones whose
moment has come, signed like Meta (``X-Hub-Signature-256``, HMAC-SHA256 of the body with the app
secret). A delivery that is not answered 200 stays queued and goes again next time, as Meta
retries. The mentions become readable on the sandbox Graph API too: ``mentioned_media``,
``mentioned_comment`` and, for senders that consented, ``GET /{igsid}?fields=username``
(``igsid_of``).

Usage::

    sender = WebhookSender(world, server=sandbox.instagram, url=f"{web}/webhooks/instagram",
                           app_secret="s")
    sender.caption_mention(post)                       # a post whose caption @mentions the brand
    sender.story_mention("mia.glow", at=world.now())   # a story; consented=False: no username
    world.set_now(world.now() + timedelta(hours=1))
    sender.deliver_due()                               # POSTs what is due: [200, 200]
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import requests

from creatorflow.domain.webhook_events import signature
from creatorflow.sandbox.instagram import SANDBOX_BRAND_IG_USER_ID, InstagramServer, igsid_of
from creatorflow.sandbox.world import SandboxPost, World


@dataclass(frozen=True)
class StoryMention:
    """A story the sender announced: who (IGSID), its message id, CDN URL and expiry."""

    handle: str
    igsid: str
    mid: str
    url: str
    at: datetime
    expires_at: datetime


@dataclass
class _Scheduled:
    at: datetime
    payload: dict[str, Any]
    attempts: int = 0


class WebhookSender:
    """Signed notifications for one receiver, sent on the world's clock."""

    def __init__(
        self,
        world: World,
        *,
        url: str,
        app_secret: str,
        server: InstagramServer | None = None,
        brand_user_id: str = SANDBOX_BRAND_IG_USER_ID,
        timeout: float = 5.0,
    ) -> None:
        self.server = server  # the sandbox Graph API: needed for comment mentions only
        self.world = world
        self.brand_user_id = server.brand_user_id if server is not None else brand_user_id
        self.url = url
        self._secret = app_secret.encode()
        self.timeout = timeout
        self.queue: list[_Scheduled] = []
        self.delivered: list[dict[str, Any]] = []
        self._session = requests.Session()
        self._comments = 0

    # -- what happened on Instagram -------------------------------------------------------------
    def _entry(self, **body: Any) -> dict[str, Any]:
        return {"object": "instagram", "entry": [{"id": self.brand_user_id, **body}]}

    def caption_mention(self, post: SandboxPost, *, at: datetime | None = None) -> dict[str, Any]:
        """``post``'s caption @mentions the brand: a ``mentions`` change with its media id."""
        when = at or post.published_at
        change = {"field": "mentions", "value": {"media_id": post.post_id}}
        return self._schedule(when, self._entry(time=int(when.timestamp()), changes=[change]))

    def comment_mention(
        self, post: SandboxPost, *, author: str, text: str, at: datetime | None = None
    ) -> str:
        """``author`` comments ``text`` (an @mention of the brand) on ``post``; the comment id."""
        if self.server is None:
            raise ValueError("comment mentions need the sandbox Instagram server (server=)")
        when = at or self.world.now()
        self._comments += 1
        digest = hashlib.sha256(f"{post.post_id}|{self._comments}".encode()).digest()
        comment_id = "178" + "".join(str(b % 10) for b in digest[:14])
        self.server.mention_comments[comment_id] = (author, text, post.post_id)
        value = {"media_id": post.post_id, "comment_id": comment_id}
        change = {"field": "mentions", "value": value}
        self._schedule(when, self._entry(time=int(when.timestamp()), changes=[change]))
        return comment_id

    def story_mention(
        self, handle: str, *, at: datetime | None = None, consented: bool = True
    ) -> StoryMention:
        """``handle`` mentions the brand in a story; ``consented``: the User Profile API names
        the sender (else Meta gives only the IGSID and the operator matches it)."""
        when = at or self.world.now()
        igsid = igsid_of(handle, consented=consented)
        seed = hashlib.sha256(f"story|{handle}|{when.isoformat()}".encode()).hexdigest()
        mid = f"aWdfZAG1faXRlbToxOklHTWVzc2FnZAI{seed[:24]}"
        expires = when + timedelta(hours=24)
        url = (
            f"https://lookaside.sandbox.fbsbx.com/ig_messaging_cdn/?asset_id={seed[24:40]}"
            f"&signature={seed[40:]}&oe={int(expires.timestamp()):x}"
        )
        millis = int(when.timestamp() * 1000)
        item = {
            "sender": {"id": igsid},
            "recipient": {"id": self.brand_user_id},
            "timestamp": millis,
            "message": {
                "mid": mid,
                "attachments": [{"type": "story_mention", "payload": {"url": url}}],
            },
        }
        self._schedule(when, self._entry(time=millis, messaging=[item]))
        return StoryMention(handle, igsid, mid, url, when, expires)

    def _schedule(self, at: datetime, payload: dict[str, Any]) -> dict[str, Any]:
        self.queue.append(_Scheduled(at, payload))
        return payload

    # -- delivery -------------------------------------------------------------------------------
    def body_of(self, payload: dict[str, Any]) -> bytes:
        return json.dumps(payload, separators=(",", ":")).encode()

    def post(
        self, payload: dict[str, Any] | bytes, *, signed: bool = True, secret: bytes | None = None
    ) -> requests.Response:
        """POST one notification now, signed with the app secret (or ``secret``, or unsigned)."""
        body = payload if isinstance(payload, bytes) else self.body_of(payload)
        headers = {"Content-Type": "application/json"}
        if signed:
            headers["X-Hub-Signature-256"] = signature(body, secret or self._secret)
        return self._session.post(self.url, data=body, headers=headers, timeout=self.timeout)

    def deliver_due(self) -> list[int]:
        """POST every scheduled notification whose moment has come; the statuses, in order.

        Those not answered 200 stay queued for the next call (Meta retries them)."""
        now = self.world.now()
        due = sorted((s for s in self.queue if s.at <= now), key=lambda s: s.at)
        statuses = []
        for item in due:
            item.attempts += 1
            try:
                status = self.post(item.payload).status_code
            except requests.RequestException:
                status = 0
            statuses.append(status)
            if status == 200:
                self.queue.remove(item)
                self.delivered.append(item.payload)
        return statuses

    def close(self) -> None:
        self._session.close()
