"""A real SMTP server on loopback for tests (aiosmtpd), with TLS, AUTH and injectable faults.

``RecordingHandler`` keeps every accepted message and can misbehave on purpose: refuse
addresses (5xx), defer them (4xx), drop the connection before DATA (at random, seeded) or drop
it after the message was received but before the reply (the "outcome unknown" case). It can
also answer the end of the message data with a refusal (``final_replies``: 451, 550, 552...,
the message is then not received), drop the connection after DATA but before its 354
(``drop_before_354``), and inject every fault at random (``fault_rates``, seeded), counting each
one it fired in ``faults``: ``mail``, ``rcpt``, ``before_354`` (drops: nothing delivered),
``after_data`` (a drop after the message was received: the client cannot know) and
``defer_data`` (451 after the message data: not received).
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import random
import ssl
import threading
from collections import Counter
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword

from tests.support.servers import free_port


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    data: bytes

    @property
    def message(self) -> EmailMessage:
        return message_from_bytes(self.data, policy=policy.default)  # type: ignore[return-value]


@dataclass
class RecordingHandler:
    received: list[Received] = field(default_factory=list)
    refuse: dict[str, str] = field(default_factory=dict)  # address -> "550 5.1.1 ..."
    defer: Counter[str] = field(default_factory=Counter)  # address -> times to answer 451
    drop_rcpt_rate: float = 0.0
    drop_after_data: set[str] = field(default_factory=set)
    block_in_data: threading.Event | None = None  # DATA waits on it (a client killed mid-DATA)
    seed: int = 7
    lock: threading.Lock = field(default_factory=threading.Lock)
    #: address -> replies to the end of its message data, one per try ("550 5.1.1 ...")
    final_replies: dict[str, list[str]] = field(default_factory=dict)
    drop_before_354: Counter[str] = field(default_factory=Counter)  # address -> times to drop
    #: fault -> probability per message: mail, rcpt, before_354, after_data, defer_data
    fault_rates: dict[str, float] = field(default_factory=dict)
    faults: Counter[str] = field(default_factory=Counter)

    def __post_init__(self) -> None:
        self._random = random.Random(self.seed)

    def _fault(self, name: str) -> bool:
        rate = self.fault_rates.get(name, 0.0)
        with self.lock:
            fired = bool(rate) and self._random.random() < rate
            if fired:
                self.faults[name] += 1
        return fired

    async def handle_MAIL(
        self, server: Any, session: Any, envelope: Any, address: str, options: Any
    ) -> str:
        if self._fault("mail"):
            server.transport.close()
            return "421 4.3.0 dropping the connection (test fault)"
        envelope.mail_from = address
        envelope.mail_options.extend(options)
        return "250 OK"

    def before_354(self, envelope: Any) -> bool:
        """Whether to drop the connection after DATA, before its 354 (``FaultySMTP`` asks)."""
        with self.lock:
            for rcpt in envelope.rcpt_tos:
                if self.drop_before_354[rcpt] > 0:
                    self.drop_before_354[rcpt] -= 1
                    return True
        return self._fault("before_354")

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, options: Any
    ) -> str:
        if self.drop_rcpt_rate and self._random.random() < self.drop_rcpt_rate:
            server.transport.close()
            return "421 4.3.0 dropping the connection (test fault)"
        if self._fault("rcpt"):
            server.transport.close()
            return "421 4.3.0 dropping the connection (test fault)"
        if address in self.refuse:
            return self.refuse[address]
        if self.defer[address] > 0:
            self.defer[address] -= 1
            return "451 4.3.0 try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        with self.lock:
            for rcpt in envelope.rcpt_tos:
                replies = self.final_replies.get(rcpt)
                if replies:
                    return replies.pop(0)  # refused at the end of the data: not received
        if self._fault("defer_data"):
            return "451 4.7.1 greylisted, try again later (test fault)"
        with self.lock:
            self.received.append(
                Received(envelope.mail_from, list(envelope.rcpt_tos), bytes(envelope.content))
            )
        if self._fault("after_data"):
            server.transport.close()
            return "421 4.3.0 dropped after DATA (test fault)"
        if self.block_in_data is not None:
            import asyncio

            while not self.block_in_data.is_set():
                await asyncio.sleep(0.02)
        if set(envelope.rcpt_tos) & self.drop_after_data:
            server.transport.close()
            return "421 4.3.0 dropped after DATA (test fault)"
        return "250 Message accepted"

    def count_by_recipient(self) -> Counter[tuple[str, str]]:
        """(recipient, subject) -> times received: the exactly-once ledger at the server."""
        out: Counter[tuple[str, str]] = Counter()
        for item in self.received:
            for rcpt in item.rcpt_tos:
                out[(rcpt, str(item.message["Subject"]))] += 1
        return out


class Authenticator:
    def __init__(self, user: str, password: str) -> None:
        self.user, self.password = user.encode(), password.encode()
        self.logins: list[str] = []

    def __call__(
        self, server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any
    ) -> AuthResult:
        if isinstance(auth_data, LoginPassword) and (
            auth_data.login == self.user and auth_data.password == self.password
        ):
            self.logins.append(auth_data.login.decode())
            return AuthResult(success=True)
        return AuthResult(success=False, handled=False)


def make_certificate(folder: Path) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 and localhost: (cert.pem, key.pem)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=2))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


def server_tls(cert: Path, key: Path) -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    return context


class FaultySMTP(SMTP):
    """aiosmtpd's server, able to drop the connection between DATA and its 354 reply."""

    async def smtp_DATA(self, arg: str) -> None:
        ask = getattr(self.event_handler, "before_354", None)
        envelope = self.envelope
        if callable(ask) and envelope is not None and envelope.rcpt_tos and ask(envelope):
            assert self.transport is not None
            self.transport.close()
            return
        await super().smtp_DATA(arg)


class FaultyController(Controller):
    def factory(self) -> SMTP:
        return FaultySMTP(self.handler, **self.SMTP_kwargs)


def start_smtpd(handler: RecordingHandler, **kwargs: Any) -> Controller:
    """Start on a free loopback port; ``controller.port`` says which. Stop with ``.stop()``."""
    controller = FaultyController(handler, hostname="127.0.0.1", port=free_port(), **kwargs)
    controller.start()
    return controller
