"""Each accepted creator's attribution: a UTM-tagged landing link and, if wanted, a promo code.

Both are deterministic (the same creator in the same campaign always gets the same link and code),
so re-running an acceptance reproduces them instead of minting new ones, and the brand's analytics
export maps back to the creator through ``utm_content`` or the code.
"""

from __future__ import annotations

import hashlib
import re
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

_UTM_KEYS = ("utm_source", "utm_medium", "utm_campaign", "utm_content")
_CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: codes are typed by people


def tracking_url(landing_url: str, *, platform: str, campaign_slug: str, handle: str) -> str:
    """``landing_url`` with utm_source/medium/campaign/content set (other parameters kept)."""
    parts = urlsplit(landing_url)
    kept = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k not in _UTM_KEYS]
    utm = [
        ("utm_source", platform),
        ("utm_medium", "influencer"),
        ("utm_campaign", campaign_slug),
        ("utm_content", handle),
    ]
    return urlunsplit(parts._replace(query=urlencode(kept + utm)))


def promo_code(*, campaign_slug: str, platform: str, handle: str) -> str:
    """A readable code unique per creator and campaign, e.g. ``SPRINGGLOW-ANNAGLOW-PJ2RZZ``.

    The suffix is a digest of (campaign, platform, handle): two creators whose handles shorten to
    the same letters still get different codes, and the same creator always gets the same one.
    """
    prefix = re.sub(r"[^A-Z0-9]", "", campaign_slug.upper())[:12] or "CODE"
    name = re.sub(r"[^A-Z0-9]", "", handle.upper())[:12] or "CREATOR"
    digest = hashlib.sha256(f"{campaign_slug}\x00{platform}\x00{handle}".encode()).digest()
    suffix = "".join(_CODE_ALPHABET[b % len(_CODE_ALPHABET)] for b in digest[:6])
    return f"{prefix}-{name}-{suffix}"
