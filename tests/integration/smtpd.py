"""A real SMTP server on loopback for tests (aiosmtpd), with TLS, AUTH and injectable faults.

``RecordingHandler`` keeps every accepted message and can misbehave on purpose: refuse
addresses (5xx), defer them (4xx), drop the connection before DATA (at random, seeded) or drop
it after the message was received but before the reply (the "outcome unknown" case).
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
from aiosmtpd.smtp import AuthResult, LoginPassword

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

    def __post_init__(self) -> None:
        self._random = random.Random(self.seed)

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, options: Any
    ) -> str:
        if self.drop_rcpt_rate and self._random.random() < self.drop_rcpt_rate:
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
            self.received.append(
                Received(envelope.mail_from, list(envelope.rcpt_tos), bytes(envelope.content))
            )
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


def start_smtpd(handler: RecordingHandler, **kwargs: Any) -> Controller:
    """Start on a free loopback port; ``controller.port`` says which. Stop with ``.stop()``."""
    controller = Controller(handler, hostname="127.0.0.1", port=free_port(), **kwargs)
    controller.start()
    return controller
