"""Normalising what people type: platform handles, email addresses and follower counts.

Deduplication depends on these: one creator per normalised platform + handle and per normalised
email, so ``@Jane.Doe`` and ``jane.doe`` must be the same key everywhere (import, discovery,
replies). Every function is pure and raises ``ValueError`` with a message naming the problem.
"""

from __future__ import annotations

import re

from creatorflow.domain.model import Platform
from creatorflow.domain.numbers import NumberError, parse_count, usual_scaled_count

#: YouTube channel ids: "UC" + 22 URL-safe base64 characters; case matters, so they are kept as is.
YOUTUBE_CHANNEL_ID = re.compile(r"^UC[A-Za-z0-9_-]{22}$")

#: Allowed characters (after lower-casing) and maximum length of a handle, per platform.
_HANDLE_RULES: dict[Platform, tuple[re.Pattern[str], int, str]] = {
    Platform.YOUTUBE: (re.compile(r"^[a-z0-9._-]+$"), 30, "letters, digits, '.', '_' and '-'"),
    Platform.INSTAGRAM: (re.compile(r"^[a-z0-9._]+$"), 30, "letters, digits, '.' and '_'"),
    Platform.TIKTOK: (re.compile(r"^[a-z0-9._]+$"), 24, "letters, digits, '.' and '_'"),
}
#: A platform registered since (platforms/registry.py): the characters every platform allows.
_OTHER_RULE = (re.compile(r"^[a-z0-9._]+$"), 30, "letters, digits, '.' and '_'")

#: ``12,500``: the grouped form of most exports, checked before the general count parser.
_GROUPED_FOLLOWERS = re.compile(r"[0-9]{1,3}(?:,[0-9]{3})+")
_EMAIL_LOCAL = re.compile(r"^[a-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[a-z0-9!#$%&'*+/=?^_`{|}~-]+)*$")
_EMAIL_LABEL = re.compile(r"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$")
#: The common case in one match (the step-by-step checks below only run to explain a failure).
#: Possessive quantifiers: a failed match gives up at once instead of trying every way to split
#: the labels, and a good one costs half the time of the backtracking form at 100,000 rows.
_EMAIL_FAST = re.compile(
    r"[a-z0-9_+-]++(?:\.[a-z0-9_+-]++)*+@(?:[a-z0-9](?:[a-z0-9-]{0,62}+(?<=[a-z0-9]))?+\.)++"
    r"[a-z]{2,63}+"
)


def is_youtube_channel_id(value: str) -> bool:
    """Whether ``value`` looks like a YouTube channel id (``UC`` + 22 characters)."""
    return (
        len(value) == 24 and value.startswith("UC") and YOUTUBE_CHANNEL_ID.match(value) is not None
    )


def external_id_in_handle(platform: str, handle: str) -> str | None:
    """The account's platform id when the handle given is one (a YouTube channel id), else None."""
    if platform == Platform.YOUTUBE and is_youtube_channel_id(handle):
        return handle
    return None


def normalise_handle(platform: Platform, raw: str) -> str:
    """The canonical form of a handle: trimmed, without a leading ``@``, lower-cased.

    YouTube channel ids are case-sensitive identifiers, not handles, and are returned unchanged.
    """
    value = raw.strip()
    if value.startswith("@"):
        value = value[1:].strip()
    if not value:
        raise ValueError("handle is empty")
    if platform is Platform.YOUTUBE and is_youtube_channel_id(value):
        return value
    value = value.lower()
    pattern, max_length, allowed = _HANDLE_RULES.get(platform, _OTHER_RULE)
    if len(value) > max_length:
        raise ValueError(
            f"handle {raw.strip()!r} is longer than {max_length} characters ({platform.value})"
        )
    if not pattern.match(value):
        raise ValueError(
            f"handle {raw.strip()!r} has invalid characters ({platform.value} allows {allowed})"
        )
    return value


def usual_handle(platform: Platform, raw: str) -> str | None:
    """``normalise_handle(platform, raw)`` when ``raw`` is a valid handle needing no trimming.

    None otherwise (surrounding spaces, or a problem): the caller then asks
    ``normalise_handle``, which trims it or says what is wrong. Bulk imports check most rows
    here, with one match instead of the full rules' steps.
    """
    if raw.startswith("@"):
        raw = raw[1:]
    if platform is Platform.YOUTUBE and len(raw) == 24 and is_youtube_channel_id(raw):
        return raw
    value = raw.lower()
    pattern, max_length, _ = _HANDLE_RULES.get(platform, _OTHER_RULE)
    return value if len(value) <= max_length and pattern.fullmatch(value) else None


def usual_email(raw: str) -> str | None:
    """``normalise_email(raw)`` when ``raw`` needs no trimming and has the common shape, else
    None (the caller then asks ``normalise_email``, which trims it or says what is wrong)."""
    value = raw.lower()
    if len(value) <= 254 and _EMAIL_FAST.fullmatch(value) and value.index("@") <= 64:
        return value
    return None


def normalise_email(raw: str) -> str:
    """The canonical form of an email address: trimmed and lower-cased, with a sane shape.

    Only the shape is checked (one ``@``, a dotted domain, no spaces); deliverability is learnt
    from bounces, not guessed here.
    """
    value = raw.strip().lower()
    if (usual := usual_email(value)) is not None:
        return usual
    if not value:
        raise ValueError("email is empty")
    if len(value) > 320:
        raise ValueError(f"email {raw.strip()!r} is longer than 320 characters")
    if value.count("@") != 1:
        raise ValueError(f"email {raw.strip()!r} must contain exactly one '@'")
    local, domain = value.split("@")
    if not local or len(local) > 64 or not _EMAIL_LOCAL.match(local):
        raise ValueError(f"email {raw.strip()!r} has an invalid part before '@'")
    labels = domain.split(".")
    if (
        len(labels) < 2
        or len(domain) > 253
        or not all(_EMAIL_LABEL.match(label) for label in labels)
        or labels[-1].isdigit()
    ):
        raise ValueError(f"email {raw.strip()!r} has an invalid domain")
    return value


def usual_followers(raw: str) -> int | None:
    """``parse_followers(raw)`` for the forms exports write (``12500``, ``12,500``, ``12.5k``)
    with nothing to trim; None otherwise (the caller then asks ``parse_followers``, which takes
    the rest or says what is wrong). A bulk import's rows, without the full rules' steps."""
    if raw.isdigit() and raw.isascii() and len(raw) < 13:
        return int(raw)
    if "," in raw:
        return (
            int(raw.replace(",", ""))
            if len(raw) < 17 and _GROUPED_FOLLOWERS.fullmatch(raw)
            else None
        )
    return usual_scaled_count(raw)


def parse_followers(raw: str) -> int | None:
    """A follower count as discovery tools export it: ``12500``, ``12,500``, ``12.5k``, ``1.2M``.

    An empty cell is an unknown count (``None``), never zero; the rules are ``parse_count``'s.
    """
    if (usual := usual_followers(raw.strip())) is not None:  # the common cases, fast
        return usual
    try:
        return parse_count(raw, scaled=True)
    except NumberError as exc:
        raise ValueError(f"followers {exc}") from None
