"""Transports: URL parsing, and errors that never reveal the password."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from creatorflow.errors import ConfigError
from creatorflow.mail.errors import MailConnectionError
from creatorflow.mail.message import Sender, build_message
from creatorflow.mail.transport import MaildirTransport, SMTPTransport, transport_from_url
from tests.integration.smtpd import (
    Authenticator,
    RecordingHandler,
    make_certificate,
    server_tls,
    start_smtpd,
)
from tests.support.servers import free_port


def message() -> object:
    return build_message(
        sender=Sender("Team", "team@brand.example"),
        to_address="a@mail.example",
        to_name="A",
        subject="Hi",
        text="t",
        html="<p>h</p>",
        message_id="<1@brand.example>",
        date=datetime(2027, 3, 1, tzinfo=UTC),
    )


def test_urls_choose_the_transport_and_decode_credentials(tmp_path: Path) -> None:
    maildir = transport_from_url(f"maildir://{tmp_path}/out")
    assert isinstance(maildir, MaildirTransport) and maildir.path == tmp_path / "out"
    assert transport_from_url("maildir://./var/outbox").path == Path("./var/outbox")  # type: ignore[attr-defined]
    smtp = transport_from_url("smtp+starttls://me%40brand.example:p%2Fw@mx.example")
    assert isinstance(smtp, SMTPTransport)
    assert (smtp.host, smtp.port, smtp.mode) == ("mx.example", 587, "starttls")
    assert smtp._username == "me@brand.example" and smtp._password == "p/w"
    assert transport_from_url("smtps://u:p@mx.example").port == 465  # type: ignore[attr-defined]
    assert transport_from_url("smtp://mx.example:2525").port == 2525  # type: ignore[attr-defined]
    with pytest.raises(ConfigError, match="unsupported scheme 'imap'"):
        transport_from_url("imap://u:secret@mx.example")


def test_a_wrong_password_fails_the_batch_without_showing_the_password(tmp_path: Path) -> None:
    cert, key = make_certificate(tmp_path)
    handler = RecordingHandler()
    controller = start_smtpd(
        handler,
        tls_context=server_tls(cert, key),
        require_starttls=True,
        authenticator=Authenticator("me", "right"),
        auth_required=True,
    )
    try:
        import ssl

        context = ssl.create_default_context(cafile=str(cert))
        url = f"smtp+starttls://me:Wr0ngSecret@127.0.0.1:{controller.port}"
        with (
            transport_from_url(url, ssl_context=context) as transport,
            pytest.raises(MailConnectionError) as caught,
        ):
            transport.send(message())  # type: ignore[arg-type]
        assert "authentication failed (535)" in str(caught.value)
        plain = f"smtp://me:Wr0ngSecret@127.0.0.1:{controller.port}"
        with (
            transport_from_url(plain) as transport,
            pytest.raises(MailConnectionError) as no_tls,
        ):
            transport.send(message())  # type: ignore[arg-type]
        assert "use smtp+starttls://" in str(no_tls.value)
    finally:
        controller.stop()
    for error in (caught.value, no_tls.value):
        assert "Wr0ngSecret" not in str(error) and error.__cause__ is None
    assert handler.received == []


def test_an_unreachable_server_is_a_connection_error() -> None:
    with (
        transport_from_url(f"smtp://127.0.0.1:{free_port()}") as transport,
        pytest.raises(MailConnectionError, match="cannot connect to SMTP 127.0.0.1"),
    ):
        transport.send(message())  # type: ignore[arg-type]
