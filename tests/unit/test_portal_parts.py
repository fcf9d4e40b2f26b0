"""The creator portal's pure parts: link tokens, file sniffing, form parsing, the rate limiter."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
import pytest

from creatorflow.services.portal.drafts import sniff_media
from creatorflow.services.portal.links import LinkRefused, make_token, read_token
from creatorflow.web.portal.links import RateLimiter
from creatorflow.web.portal.uploads import BadForm, parse_form

KEY = b"a-test-key-that-is-long-enough"
EXPIRY = datetime(2027, 5, 1, tzinfo=UTC)


def test_a_token_reads_back_and_any_change_or_other_key_is_forged() -> None:
    token = make_token(key=KEY, link_id=7, enrollment_id=42, expires_at=EXPIRY)
    assert read_token(token, key=KEY) == (7, 42, EXPIRY)
    prefix, link, enrollment, expiry, signature = token.split(".")
    altered = [
        f"{prefix}.8.{enrollment}.{expiry}.{signature}",
        f"{prefix}.{link}.43.{expiry}.{signature}",
        f"{prefix}.{link}.{enrollment}.{int(expiry) + 86400}.{signature}",
        f"v2.{link}.{enrollment}.{expiry}.{signature}",
        token + "x",
        "",
        "v1.1.2.3",
    ]
    for bad in altered:
        with pytest.raises(LinkRefused, match="forged"):
            read_token(bad, key=KEY)
    with pytest.raises(LinkRefused):
        read_token(token, key=b"another-key-entirely-of-length")


@pytest.mark.parametrize(
    ("head", "expected"),
    [
        (b"\xff\xd8\xff\xe0\x00\x10JFIF", "image/jpeg"),
        (b"\x89PNG\r\n\x1a\n\x00\x00", "image/png"),
        (b"GIF89a\x01\x00", "image/gif"),
        (b"RIFF\x00\x00\x00\x00WEBPVP8 ", "image/webp"),
        (b"\x00\x00\x00\x18ftypmp42", "video/mp4"),
        (b"\x00\x00\x00\x14ftypqt  ", "video/quicktime"),
        (b"\x1a\x45\xdf\xa3\x01", "video/webm"),
        (b"\x00\x00\x00\x18ftypheic", None),
        (b"<svg onload=alert(1)>", None),
        (b"%PDF-1.7", None),
        (b"MZ\x90\x00", None),
        (b"", None),
    ],
)
def test_files_are_typed_by_their_first_bytes(head: bytes, expected: str | None) -> None:
    found = sniff_media(head + b"\x00" * 32)
    assert (found[0] if found else None) == expected


def test_multipart_forms_keep_binary_files_intact_and_refuse_other_bodies() -> None:
    content = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 3 + b"\r\n--boundary\r\n"
    request = httpx.Request(
        "POST",
        "http://portal.example/p/x/draft",
        data={"csrf_token": "abc", "note": "é <b>"},
        files={"file": ("../../x.png", content, "text/plain")},
    )
    form = parse_form(request.read(), request.headers["content-type"])
    assert form.fields == {"csrf_token": "abc", "note": "é <b>"}
    assert form.files == {"file": content}
    assert parse_form(
        b"answer=accept&csrf_token=1", "application/x-www-form-urlencoded"
    ).fields == {
        "answer": "accept",
        "csrf_token": "1",
    }
    with pytest.raises(BadForm):
        parse_form(b"{}", "application/json")
    with pytest.raises(BadForm):
        parse_form(b"\xff\xfe", "application/x-www-form-urlencoded")


def test_the_rate_limiter_counts_each_key_in_a_sliding_window() -> None:
    moment = [0.0]
    limiter = RateLimiter(2, 60, clock=lambda: moment[0])
    assert [limiter.allow("a"), limiter.allow("a")] == [None, None]
    assert limiter.allow("a") == 60
    assert limiter.allow("b") is None
    moment[0] = 30
    assert limiter.allow("a") == 30
    moment[0] = 60.5
    assert limiter.allow("a") is None
