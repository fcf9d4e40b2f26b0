"""UTM tracking links and promo codes."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from hypothesis import given
from hypothesis import strategies as st

from creatorflow.domain.tracking_links import promo_code, tracking_url


def test_tracking_url_carries_the_four_utm_parameters() -> None:
    page = "https://lumen.example/spring"
    url = tracking_url(page, platform="instagram", campaign_slug="spring-glow", handle="anna.glow")
    parts = urlsplit(url)
    assert (parts.scheme, parts.netloc, parts.path) == ("https", "lumen.example", "/spring")
    assert parse_qs(parts.query) == {
        "utm_source": ["instagram"],
        "utm_medium": ["influencer"],
        "utm_campaign": ["spring-glow"],
        "utm_content": ["anna.glow"],
    }


def test_tracking_url_keeps_other_parameters_and_replaces_old_utm_values() -> None:
    page = "https://lumen.example/p?ref=ig&utm_source=newsletter#top"
    url = tracking_url(page, platform="tiktok", campaign_slug="spring-glow", handle="ben")
    query = parse_qs(urlsplit(url).query)
    assert query["ref"] == ["ig"] and query["utm_source"] == ["tiktok"]
    assert url.endswith("#top")


def test_promo_code_is_deterministic_and_readable() -> None:
    code = promo_code(campaign_slug="spring-glow", platform="instagram", handle="anna.glow")
    assert code == promo_code(campaign_slug="spring-glow", platform="instagram", handle="anna.glow")
    assert code.startswith("SPRINGGLOW-ANNAGLOW-")
    assert len(code) <= 64 and code.isascii()


def test_promo_codes_differ_when_handles_shorten_alike() -> None:
    a = promo_code(campaign_slug="spring-glow", platform="instagram", handle="anna.glow")
    b = promo_code(campaign_slug="spring-glow", platform="instagram", handle="annaglow")
    c = promo_code(campaign_slug="spring-glow", platform="tiktok", handle="anna.glow")
    assert len({a, b, c}) == 3


@given(st.lists(st.text(min_size=1, max_size=30), min_size=2, max_size=40, unique=True))
def test_promo_codes_are_unique_across_a_campaign(handles: list[str]) -> None:
    codes = {promo_code(campaign_slug="c", platform="youtube", handle=h) for h in handles}
    assert len(codes) == len(handles)
