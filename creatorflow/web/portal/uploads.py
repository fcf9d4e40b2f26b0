"""Reading a portal form's body: bounded in size first, then parsed (urlencoded or multipart).

The body is read with a cap (the upload limit plus room for the other fields), so an oversized
upload is refused after at most that many bytes, before anything is parsed or stored. Multipart
bodies are parsed with the standard library's MIME parser (no extra dependency): field names
and file contents only; a file's name and declared type are ignored (the content decides).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from email import policy
from email.message import Message
from email.parser import BytesParser
from urllib.parse import parse_qs

from starlette.requests import Request

#: Room for the form's other fields and the multipart framing, on top of the upload limit.
FORM_OVERHEAD = 64 * 1024
MAX_FIELDS = 20


class BodyTooLarge(Exception):
    """The request body is over the limit (HTTP 413)."""


class BadForm(Exception):
    """The body is not a form we can read (HTTP 400)."""


@dataclass
class Form:
    fields: dict[str, str] = field(default_factory=dict)
    files: dict[str, bytes] = field(default_factory=dict)

    def get(self, name: str) -> str:
        return self.fields.get(name, "")


async def read_body(request: Request, *, limit: int) -> bytes:
    """The body, or ``BodyTooLarge`` as soon as it passes ``limit`` bytes."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise BodyTooLarge(f"{declared} bytes")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise BodyTooLarge(f"more than {limit} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


def parse_form(body: bytes, content_type: str) -> Form:
    """The fields (and files) of an urlencoded or multipart/form-data body."""
    kind = content_type.split(";", 1)[0].strip().lower()
    if kind == "application/x-www-form-urlencoded" or not body:
        try:
            pairs = parse_qs(
                body.decode("utf-8"), keep_blank_values=True, max_num_fields=MAX_FIELDS
            )
        except (UnicodeDecodeError, ValueError):
            raise BadForm("not a readable form") from None
        return Form(fields={k: v[0] for k, v in pairs.items()})
    if kind != "multipart/form-data" or "boundary=" not in content_type:
        raise BadForm(f"unexpected content type {kind or '(none)'}")
    head = f"Content-Type: {content_type}\r\nMIME-Version: 1.0\r\n\r\n".encode("latin-1", "replace")
    message = BytesParser(policy=policy.HTTP).parsebytes(head + body)
    if not message.is_multipart():
        raise BadForm("not a multipart form")
    form = Form()
    parts: list[Message] = list(message.get_payload())  # type: ignore[arg-type]
    if len(parts) > MAX_FIELDS:
        raise BadForm("too many fields")
    for part in parts:
        name = part.get_param("name", header="content-disposition")
        if not isinstance(name, str):
            continue
        raw = part.get_payload(decode=True)
        data = raw if isinstance(raw, bytes) else b""
        if part.get_filename() is not None:
            form.files[name] = data
        else:
            form.fields[name] = data.decode("utf-8", "replace")
    return form
