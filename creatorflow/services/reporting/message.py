"""The stakeholder report as one email: text, HTML with inline chart images, CSV attached.

Structure (email.md): ``multipart/mixed`` of [``multipart/alternative`` of [text, ``related``
(HTML + PNGs by Content-ID)], CSV]. Content-IDs are derived from the image bytes, so the HTML
that references them is as reproducible as the images. ``Auto-Submitted: auto-generated``
(RFC 3834) tells auto-responders not to answer.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, parseaddr
from typing import cast

from creatorflow.errors import ConfigError
from creatorflow.services.reporting.charts import Chart


def sender_domain(sender: str) -> str:
    _name, address = parseaddr(sender)
    if "@" not in address:
        raise ConfigError(f"CREATORFLOW_SENDER {sender!r} has no e-mail address")
    return address.rsplit("@", 1)[1]


def content_id(chart: Chart, domain: str) -> str:
    """``<name.digest@domain>``: stable for the same image, unique across images."""
    digest = hashlib.sha256(chart.png).hexdigest()[:16]
    return f"<{chart.name}.{digest}@{domain}>"


def cid_sources(charts: Sequence[Chart], domain: str) -> dict[str, str]:
    """Chart name -> ``cid:...`` for the HTML ``src`` attributes."""
    return {chart.name: f"cid:{content_id(chart, domain)[1:-1]}" for chart in charts}


def build_report_message(
    *,
    sender: str,
    recipients: Sequence[str],
    subject: str,
    message_id: str,
    date: object,
    text: str,
    html: str,
    charts: Sequence[Chart],
    csv_name: str,
    csv_text: str,
) -> EmailMessage:
    """One report email; header values go through ``EmailMessage`` (no CR/LF injection)."""
    domain = sender_domain(sender)
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = ", ".join(str(Address(addr_spec=r)) for r in recipients)
    msg["Subject"] = subject
    msg["Message-ID"] = message_id
    msg["Date"] = format_datetime(date)  # type: ignore[arg-type]
    msg["Auto-Submitted"] = "auto-generated"
    msg.set_content(text)
    msg.add_alternative(html, subtype="html")
    html_part = cast(EmailMessage, msg.get_payload()[1])  # type: ignore[index]
    for chart in charts:
        html_part.add_related(
            chart.png, "image", "png", cid=content_id(chart, domain), filename=chart.filename
        )
    msg.add_attachment(csv_text.encode("utf-8"), "text", "csv", filename=csv_name)
    return msg
