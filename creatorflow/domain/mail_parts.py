"""Reading the parts of an inbound message that the classifier needs, whatever shape it arrived in.

Real mail is messy: bounces whose MIME boundary is wrong, plain-text notices with the returned
message pasted below a marker line, charsets Python does not know. Everything here is pure and
never raises on bad input: a part that cannot be decoded reads as replacement characters.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime
from email.message import Message
from email.parser import HeaderParser
from email.utils import getaddresses, parsedate_to_datetime
from html import unescape

_MSG_ID = re.compile(r"<[^<>\s]+>")
ADDRESS = re.compile(r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?")
#: Lines that introduce the copy of our message inside a plain-text bounce (qmail, Exim, Yahoo,
#: GMX, sendmail, Exchange, Mail.ru, ...): the notice is the text above it.
_ORIGINAL_MARKER = re.compile(
    r"^[ \t>]*(?:-{2,}|={2,}|\*{2,}|_{2,})?[ \t]*(?:"
    r"below this line is a copy of the message"
    r"|this is a copy of the message"
    r"|(?:the )?headers? of the original message"
    r"|(?:the )?(?:original|returned|undelivered) message(?: headers?)?"
    r"(?: (?:follows|is attached|was|below|header follows|text))?[ \t]*(?:-{2,}|:|$)"
    r"|original message (?:follows|headers?)"
    r"|message (?:header|headers|text) follows|unsent message follows"
    r"|(?:copy|text) of (?:the |your )?(?:original |returned )?message"
    r"|start of (?:the )?(?:original|returned) message"
    r"|content-type: message/rfc822"
    r"|исходное сообщение|оригинальное сообщение"
    r")",
    re.IGNORECASE | re.MULTILINE,
)
#: A returned header block starting at the left margin (an MTA that pastes it without a marker).
_RETURNED_HEADER_START = re.compile(
    r"^(?:Return-Path|Received|DKIM-Signature|Message-I[Dd]|X-[A-Za-z0-9-]+):[ \t]", re.MULTILINE
)
_HEADER_LINE = re.compile(r"^[ \t]*[A-Za-z][A-Za-z0-9-]*:[ \t]")
_TAG = re.compile(r"<(?:script|style)\b.*?</(?:script|style)>|<[^>]+>", re.IGNORECASE | re.DOTALL)
_BREAK = re.compile(r"<\s*(?:br|/p|/div|/tr|/li|/h\d)\b[^>]*>", re.IGNORECASE)


def header(msg: Message, name: str) -> str | None:
    """A header's value as text, or None; a malformed header reads as its raw text."""
    try:
        value = msg.get(name)
    except (ValueError, IndexError, TypeError, AttributeError):
        raw = [v for k, v in msg.raw_items() if k.lower() == name.lower()]
        value = raw[0] if raw else None
    return None if value is None else str(value)


def headers(msg: Message, name: str) -> list[str]:
    try:
        return [str(v) for v in msg.get_all(name) or []]
    except (ValueError, IndexError, TypeError, AttributeError):
        return [str(v) for k, v in msg.raw_items() if k.lower() == name.lower()]


def address(value: object) -> str | None:
    """The first address in a header value, lower-cased."""
    if value is None:
        return None
    pairs = getaddresses([str(value)])
    found = pairs[0][1].strip().lower() if pairs else ""
    if "@" not in found:
        match = ADDRESS.search(str(value))
        return match.group(0).lower() if match else None
    return found


def addresses_in(text: str) -> list[str]:
    """Every address written in ``text``, lower-cased, first appearance first."""
    seen: dict[str, None] = {}
    for match in ADDRESS.finditer(text):
        found = match.group(0).strip(".").lower()
        if "." in found.rsplit("@", 1)[-1]:
            seen.setdefault(found, None)
    return list(seen)


def message_ids(value: str | None) -> tuple[str, ...]:
    """Every ``<id>`` in a Message-ID / In-Reply-To / References value, in order."""
    if not value:
        return ()
    return tuple(_MSG_ID.findall(str(value)))


def references(msg: Message) -> tuple[str, ...]:
    """Ids this message points at: In-Reply-To, then References newest first (the last one is
    the message being answered)."""
    candidates = (
        *message_ids(header(msg, "In-Reply-To")),
        *reversed(message_ids(header(msg, "References"))),
    )
    return tuple(dict.fromkeys(candidates))


def date(value: object) -> datetime | None:
    if value is None:
        return None
    try:
        parsed = parsedate_to_datetime(str(value))
    except (TypeError, ValueError, IndexError):
        return None
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def html_text(html: str) -> str:
    """Readable text of an HTML body: tags dropped, line breaks kept, entities decoded."""
    return unescape(_TAG.sub("", _BREAK.sub("\n", html)))


def part_text(part: Message) -> str:
    """The decoded text of a leaf part; HTML becomes text."""
    payload = part.get_payload(decode=True)
    if isinstance(payload, bytes):
        charset = str(part.get_content_charset() or "utf-8")
        try:
            text = payload.decode(charset, "replace")
        except LookupError:  # a charset Python does not know: most are ASCII-compatible
            text = payload.decode("utf-8", "replace")
    else:
        raw = part.get_payload()
        text = raw if isinstance(raw, str) else ""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return html_text(text) if part.get_content_type() == "text/html" else text


def text_leaves(part: Message) -> Iterator[Message]:
    """Text leaves of ``part`` outside any attached message, plain before HTML alternatives."""
    content_type = part.get_content_type()
    if content_type.startswith("message/") or content_type == "text/rfc822-headers":
        return
    payload = part.get_payload()
    if part.is_multipart() and isinstance(payload, list):
        children = [c for c in payload if isinstance(c, Message)]
        if content_type == "multipart/alternative":
            plain = [c for c in children if c.get_content_type() == "text/plain"]
            children = plain[:1] or children[:1]
        elif content_type == "multipart/report":
            children = children[:1]  # RFC 6522: the first part is the human-readable notice
        for child in children:
            yield from text_leaves(child)
    elif part.get_content_maintype() in {"text", "multipart"}:  # multipart: a broken boundary
        yield part


def body_texts(msg: Message) -> list[str]:
    """The text of each readable part, outside attached messages, in order."""
    texts = []
    for leaf in text_leaves(msg):
        if leaf.get_content_disposition() == "attachment" and leaf is not msg:
            continue
        texts.append(part_text(leaf))
    return texts


def cut_original(text: str) -> tuple[str, str]:
    """Split a notice from the copy of the original message pasted below it."""
    cuts = [m.start() for m in (_ORIGINAL_MARKER.search(text), _returned_start(text)) if m]
    if not cuts:
        return text, ""
    at = min(cuts)
    return text[:at], text[at:]


def _returned_start(text: str) -> re.Match[str] | None:
    """A header block at the left margin, once some notice text came before it."""
    match = _RETURNED_HEADER_START.search(text)
    if match is None or not text[: match.start()].strip():
        return None
    return match


def looks_like_message(text: str) -> bool:
    """A text part that is really a returned message: it starts with header lines."""
    lines = [line for line in text.lstrip().splitlines()[:3] if line.strip()]
    return len(lines) >= 2 and all(_HEADER_LINE.match(line) for line in lines[:2])


def notice_text(msg: Message) -> str:
    """What the answering server or person wrote, without any copy of our message."""
    kept: list[str] = []
    for text in body_texts(msg):
        if kept and looks_like_message(text):
            continue
        notice, _ = cut_original(text)
        kept.append(notice)
    return "\n".join(kept)


def returned_headers(msg: Message) -> Message | None:
    """The headers of our message as returned inside a report or pasted into a notice."""
    for part in msg.walk():
        content_type = part.get_content_type()
        if content_type == "text/rfc822-headers":
            return HeaderParser().parsestr(part_text(part).lstrip())
        if content_type == "message/rfc822":
            inner = part.get_payload()
            if isinstance(inner, list) and inner and isinstance(inner[0], Message):
                return inner[0]
    for text in body_texts(msg):
        if looks_like_message(text):
            return HeaderParser().parsestr(text.lstrip())
        _, pasted = cut_original(text)
        parsed = _pasted_headers(pasted)
        if parsed is not None:
            return parsed
    return None


def _pasted_headers(pasted: str) -> Message | None:
    lines = pasted.splitlines()
    for start, line in enumerate(lines):
        if _HEADER_LINE.match(line) and not line.lower().lstrip(" >-").startswith("content-type"):
            indent = line[: len(line) - len(line.lstrip(" \t>"))]  # a copy quoted as a whole
            block = [row.removeprefix(indent) for row in lines[start:]]
            parsed = HeaderParser().parsestr("\n".join(block))
            return parsed if parsed.keys() else None
    return None


def report_blocks(msg: Message) -> list[dict[str, str]]:
    """The field blocks of every ``message/*delivery-status`` / ``feedback-report`` part."""
    blocks: list[dict[str, str]] = []
    for part in msg.walk():
        subtype = part.get_content_subtype()
        if part.get_content_maintype() != "message" or not (
            subtype.endswith("delivery-status") or subtype == "feedback-report"
        ):
            continue
        payload = part.get_payload()
        if isinstance(payload, list):
            for block in payload:
                if isinstance(block, Message):
                    blocks.append({k.lower(): " ".join(str(v).split()) for k, v in block.items()})
        elif isinstance(payload, str):
            blocks.extend(field_blocks(payload))
    return blocks


def field_blocks(text: str) -> list[dict[str, str]]:
    """``Name: value`` blocks separated by blank lines (continuation lines folded in)."""
    blocks: list[dict[str, str]] = []
    current: dict[str, str] = {}
    name = ""
    for line in text.replace("\r\n", "\n").split("\n"):
        if not line.strip():
            if current:
                blocks.append(current)
            current, name = {}, ""
            continue
        if line[:1] in " \t" and name:
            current[name] += " " + line.strip()
            continue
        key, sep, value = line.partition(":")
        if sep and re.fullmatch(r"[A-Za-z][A-Za-z0-9-]*", key.strip()):
            name = key.strip().lower()
            current.setdefault(name, value.strip())
        else:
            name = ""
    if current:
        blocks.append(current)
    return blocks
