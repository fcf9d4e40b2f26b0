"""The brand account's own Instagram edges: media it is tagged in, media that @mention it, hashtags.

Business discovery (``instagram.py``) reads a creator's own media; these read what points at the
brand: ``/{brand}/tags`` (media the brand is photo-tagged in; they carry the author's
``username``), ``mentioned_media.media_id(id)`` (a media whose caption @mentions the brand, the id
announced by the ``mentions`` webhook; ``mentioned_comment.comment_id(id)`` for a comment, and
``story_author`` for a story mention's sender) and hashtag search (no usernames; 30 unique
hashtags per 7 days per brand account). Pages are followed with their ``after`` cursor, never
with the ``next`` URL: Meta writes the caller's access token into it.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from creatorflow.domain.model import Platform
from creatorflow.platforms.base import Post, PostMetrics
from creatorflow.platforms.errors import HashtagLimitReached, ObjectNotFound, PermissionDenied
from creatorflow.platforms.parsing import Reader

NAME = "instagram"
HASHTAGS_PER_WEEK = 30
TAG_PAGE = 50
#: What a tagged or mentioning media is read with; ``username`` names its author.
TAGGED_FIELDS = (
    "id,caption,like_count,comments_count,media_type,media_product_type,permalink,timestamp,"
    "username"
)


@dataclass(frozen=True)
class MentionedComment:
    """A comment that @mentions the brand: its author's username and the media it is on."""

    comment_id: str
    author: str | None
    text: str | None
    media: Post | None


def media_post(item: Reader, author_id: str | None) -> Post:
    """One Instagram media as a ``Post``; an absent count is unknown (hidden, or not a reel)."""
    return Post(
        platform=Platform.INSTAGRAM,
        post_id=item.req_str("id"),
        author_id=author_id,
        url=item.text("permalink", required=False),
        title=None,
        text=item.text("caption", required=False),
        published_at=item.timestamp("timestamp"),
        metrics=PostMetrics(
            views=item.count("view_count"),
            likes=item.count("like_count"),
            comments=item.count("comments_count"),
        ),
        media_type=item.text("media_product_type", required=False)
        or item.text("media_type", required=False),
    )


def _authored(item: Reader) -> Post:
    """A media of the tags edge or ``mentioned_media``: ``author_id`` is the author's username."""
    post = media_post(item, None)
    username = item.text("username", required=False)
    return replace(post, author_id=username.lower() if username else None)


class BrandEdges:
    """Reads of the brand's own IG user (``InstagramClient`` supplies ``_get`` and the ids)."""

    _user_id: str
    hashtags_used: set[str]
    _brand_username: str | None = None

    def _get(
        self, path: str, params: dict[str, Any], *, account: str | None = None, label: str
    ) -> Reader:
        raise NotImplementedError

    def brand_username(self) -> str:
        """The brand account's username (read once per client: it is the brand's own)."""
        if self._brand_username is None:
            user = self._get(self._user_id, {"fields": "username"}, label="brand")
            self._brand_username = user.req_str("username").lower()
        return self._brand_username

    def brand_tags(self, *, since: datetime | None = None) -> list[Post]:
        """Media the brand is photo-tagged in, published at ``since`` or later.

        The first call also reads the brand's username; pages follow until one reaches past
        ``since`` (the edge lists media newest first, roughly: the captures are not strict).
        """
        first = self._get(
            self._user_id,
            {"fields": f"username,tags.limit({TAG_PAGE}){{{TAGGED_FIELDS}}}"},
            label="tags",
        )
        username = first.text("username", required=False)
        if username:
            self._brand_username = username.lower()
        edge = first.obj("tags", required=False)
        posts: list[Post] = []
        while edge is not None:
            page = [_authored(item) for item in edge.objects("data", required=False)]
            posts.extend(page)
            reached = since is not None and not all(_not_before(p, since) for p in page)
            paging = edge.obj("paging", required=False)
            if not page or reached or paging is None or not paging.has("next"):
                break
            cursors = paging.obj("cursors")
            assert cursors is not None
            params = {"fields": TAGGED_FIELDS, "limit": TAG_PAGE, "after": cursors.req_str("after")}
            edge = self._get(f"{self._user_id}/tags", params, label="tags")
        return [p for p in posts if since is None or _not_before(p, since)]

    def mentioned_media(self, media_id: str) -> Post:
        """The media ``media_id`` whose caption @mentions the brand (``author_id``: username)."""
        fields = f"mentioned_media.media_id({media_id}){{{TAGGED_FIELDS}}}"
        answer = self._get(self._user_id, {"fields": fields}, label="mentioned_media")
        media = answer.obj("mentioned_media")
        assert media is not None
        return _authored(media)

    def mentioned_comment(self, comment_id: str) -> MentionedComment:
        """The comment ``comment_id`` that @mentions the brand, with the media it is on (issue 17:
        the ``mentions`` webhook names both; one call reads them together)."""
        fields = (
            f"mentioned_comment.comment_id({comment_id})"
            f"{{id,text,timestamp,username,media{{{TAGGED_FIELDS}}}}}"
        )
        answer = self._get(self._user_id, {"fields": fields}, label="mentioned_comment")
        comment = answer.obj("mentioned_comment")
        assert comment is not None
        media = comment.obj("media", required=False)
        username = comment.text("username", required=False)
        return MentionedComment(
            comment_id=comment.req_str("id"),
            author=username.lower() if username else None,
            text=comment.text("text", required=False),
            media=_authored(media) if media is not None else None,
        )

    def story_author(self, sender_id: str) -> str | None:
        """The username behind a story mention's Instagram-scoped sender id, or None where Meta
        does not tell (the account gave no messaging consent): the operator matches it then."""
        try:
            user = self._get(sender_id, {"fields": "username"}, label="story_author")
        except (ObjectNotFound, PermissionDenied):
            return None
        username = user.text("username", required=False)
        return username.lower() if username else None

    def hashtag_posts(self, hashtag: str, *, limit: int = 50) -> list[Post]:
        """Public posts of the last 24 h with ``hashtag`` (no usernames: Meta withholds them).

        Counts the unique hashtags this client searched; Meta allows 30 per 7 days per brand
        account, so the 31st raises ``HashtagLimitReached`` without calling the API.
        """
        name = hashtag.lstrip("#").strip().lower()
        if name not in self.hashtags_used and len(self.hashtags_used) >= HASHTAGS_PER_WEEK:
            raise HashtagLimitReached(
                NAME,
                f"refusing #{name}: this run already searched {len(self.hashtags_used)} "
                "unique hashtags and Meta allows 30 per 7 days per account",
            )
        self.hashtags_used.add(name)
        found = self._get(
            "ig_hashtag_search", {"user_id": self._user_id, "q": name}, label="ig_hashtag_search"
        )
        ids = found.objects("data")
        if not ids:
            return []
        hashtag_id = ids[0].req_str("id")
        posts: list[Post] = []
        after: str | None = None
        while len(posts) < limit:
            params = {
                "user_id": self._user_id,
                "limit": min(50, limit - len(posts)),
                "fields": "id,caption,like_count,comments_count,media_type,"
                "media_product_type,permalink,timestamp",
            }
            if after:
                params["after"] = after
            page = self._get(f"{hashtag_id}/recent_media", params, label="recent_media")
            items = page.objects("data", required=False)
            posts.extend(media_post(i, None) for i in items)
            paging = page.obj("paging", required=False)
            if not items or paging is None or not paging.has("next"):
                break
            cursors = paging.obj("cursors")
            assert cursors is not None
            after = cursors.req_str("after")
        return posts[:limit]


def _not_before(post: Post, since: datetime) -> bool:
    return post.published_at is None or post.published_at >= since
