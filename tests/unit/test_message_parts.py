"""``build_message`` writes its MIME parts without the standard library's header parsing: the
result must be what ``set_content`` then ``add_alternative`` make, byte for byte, for any body
(ASCII, 8-bit, long lines that force quoted-printable or base64, a body that holds a boundary)."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default

from hypothesis import given, settings
from hypothesis import strategies as st

from creatorflow.mail.message import OUTREACH_POLICY, Sender, build_message

SENDER = Sender("Glow Team", "team@brand.example")
DATE = datetime(2027, 3, 1, 10, 0, tzinfo=UTC)
BOUNDARY = re.compile(rb'boundary="([^"]+)"')


def _build(text: str, html: str) -> EmailMessage:
    return build_message(
        sender=SENDER,
        to_address="ana@x.example",
        to_name="Ana Lí",
        subject="Spring Glow",
        text=text,
        html=html,
        message_id="<m1@brand.example>",
        date=DATE,
        list_unsubscribe=["https://brand.example/u/1", "mailto:u@brand.example"],
    )


def _by_the_library(text: str, html: str, boundary: str) -> EmailMessage:
    """The same message the way the standard library's content manager builds it."""
    msg = EmailMessage(policy=OUTREACH_POLICY)
    msg["From"] = "Glow Team <team@brand.example>"
    msg["To"] = "Ana Lí <ana@x.example>"
    msg["Subject"] = "Spring Glow"
    msg["Date"] = "Mon, 01 Mar 2027 10:00:00 +0000"
    msg["Message-ID"] = "<m1@brand.example>"
    msg["List-Unsubscribe"] = "<https://brand.example/u/1>, <mailto:u@brand.example>"
    msg["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    msg.set_content(text)
    msg.add_alternative(html, subtype="html")
    msg.set_boundary(boundary)
    return msg


def _same(text: str, html: str, *, reads_back: bool = False) -> None:
    ours = _build(text, html)
    raw = ours.as_bytes(policy=ours.policy.clone(linesep="\r\n"))
    found = BOUNDARY.search(raw)
    assert found is not None
    boundary = found.group(1).decode()
    theirs = _by_the_library(text, html, boundary)
    assert raw == theirs.as_bytes(policy=theirs.policy.clone(linesep="\r\n"))
    assert ours.as_bytes() == theirs.as_bytes()
    if not reads_back:
        return
    parsed = message_from_bytes(raw, policy=default)
    plain, rich = parsed.get_body(("plain",)), parsed.get_body(("html",))
    assert plain is not None and rich is not None
    assert plain.get_content().splitlines() == text.splitlines()
    assert rich.get_content().splitlines() == html.splitlines()


def test_ascii_and_eight_bit_bodies() -> None:
    _same("Hi Ana,\n\nThanks!\n", "<p>Hi Ana</p>\n", reads_back=True)
    _same("Olá Ana — obrigado\n", "<p>Olá</p>", reads_back=True)
    _same("", "")


def test_long_lines_and_dots_and_from_lines() -> None:
    _same("x" * 2000 + "\n.\nFrom the team\n", "<p>" + "é" * 1500 + "</p>\n", reads_back=True)
    _same("\n".join(["é" * 40] * 30), "a" * 999)


def test_a_body_holding_a_boundary_like_line() -> None:
    text = "--===============1234567890123456789==\n" + "=" * 15 + "0" * 19 + "==\n"
    _same(text, text)


@settings(max_examples=150, deadline=None)
@given(
    st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=300),
    st.text(max_size=300),
    st.integers(min_value=0, max_value=1200),
)
def test_any_body(text: str, html: str, long_line: int) -> None:
    _same(text + "y" * long_line, html)
