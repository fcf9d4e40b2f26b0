"""A real Dovecot IMAP server for tests, run unprivileged from a temporary directory.

The recipe is the one in the shared email reference: every path (base_dir, state, log) lives in
the temp dir, the IMAP listener is on 127.0.0.1 and a free port, users come from a passwd-file.
As root (CI), the directory is handed to ``nobody`` and Dovecot runs through ``setpriv``.
"""

from __future__ import annotations

import imaplib
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import pytest

from tests.integration.smtpd import make_certificate
from tests.support.servers import free_port

DOVECOT = Path("/usr/sbin/dovecot")


@dataclass
class Dovecot:
    """A running server: connection details, the user's Maildir, and ways to deliver mail."""

    root: Path
    port: int
    user: str
    password: str
    process: subprocess.Popen[bytes]
    uid: int
    gid: int
    tls_port: int = 0

    @property
    def ca_file(self) -> Path:
        """The self-signed certificate to trust for IMAPS."""
        return self.root / "cert.pem"

    @property
    def tls_url(self) -> str:
        return f"imaps://{self.user}:{self.password}@127.0.0.1:{self.tls_port}"

    @property
    def url(self) -> str:
        return f"imap://{self.user}:{self.password}@127.0.0.1:{self.port}"

    @property
    def maildir(self) -> Path:
        return self.root / "mail" / self.user

    def connect(self) -> imaplib.IMAP4:
        imap = imaplib.IMAP4("127.0.0.1", self.port, timeout=10)
        imap.login(self.user, self.password)
        return imap

    def append(self, raw: bytes, *, when: datetime, folder: str = "INBOX") -> None:
        """Deliver a message over IMAP APPEND with the given internal (arrival) date."""
        imap = self.connect()
        try:
            status, _ = imap.append(folder, None, imaplib.Time2Internaldate(when), raw)
            assert status == "OK"
        finally:
            imap.logout()

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)


CONFIG = """\
base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
info_log_path = {root}/dovecot.log
listen = 127.0.0.1
protocols = imap
ssl = yes
ssl_cert = <{root}/cert.pem
ssl_key = <{root}/key.pem
disable_plaintext_auth = no
auth_failure_delay = 0
auth_mechanisms = plain login
default_internal_user = {user}
default_internal_group = {group}
default_login_user = {user}
mail_location = maildir:{root}/mail/%u
service anvil {{
  chroot =
}}
service imap-login {{
  chroot =
  inet_listener imap {{
    port = {port}
  }}
  inet_listener imaps {{
    port = {tls_port}
    ssl = yes
  }}
}}
passdb {{
  driver = passwd-file
  args = {root}/users
}}
userdb {{
  driver = passwd-file
  args = {root}/users
}}
"""


def start_dovecot(root: Path, *, user: str = "outreach", password: str = "pw-imap-test") -> Dovecot:
    """Write the configuration, start ``dovecot -F`` and wait for the greeting."""
    as_root = os.geteuid() == 0
    account = pwd.getpwnam("nobody") if as_root else pwd.getpwuid(os.geteuid())
    group_name = "nogroup" if as_root else _group_name(account.pw_gid)
    root.mkdir(parents=True, exist_ok=True)
    port, tls_port = free_port(), free_port()
    while tls_port == port:
        tls_port = free_port()
    make_certificate(root)  # cert.pem / key.pem for the IMAPS listener
    (root / "mail" / user).mkdir(parents=True)
    (root / "users").write_text(
        f"{user}:{{PLAIN}}{password}:{account.pw_uid}:{account.pw_gid}::{root}/mail/{user}\n"
    )
    (root / "dovecot.conf").write_text(
        CONFIG.format(
            root=root, user=account.pw_name, group=group_name, port=port, tls_port=tls_port
        )
    )
    command = [str(DOVECOT), "-F", "-c", str(root / "dovecot.conf")]
    if as_root:
        for path in [root, *root.rglob("*")]:
            os.chown(path, account.pw_uid, account.pw_gid)
        # the temp dir's parents must be traversable by nobody
        command = [
            "setpriv",
            "--reuid=nobody",
            "--regid=nogroup",
            "--clear-groups",
            *command,
        ]
    with open(root / "stderr.log", "wb") as stderr:
        process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=stderr)
    server = Dovecot(
        root, port, user, password, process, account.pw_uid, account.pw_gid, tls_port=tls_port
    )
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        if process.poll() is not None:
            log = (root / "dovecot.log").read_text() if (root / "dovecot.log").exists() else ""
            raise RuntimeError(f"dovecot exited: {(root / 'stderr.log').read_text()} {log}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1) as sock:
                if sock.recv(64).startswith(b"* OK"):
                    return server
        except OSError:
            time.sleep(0.05)
    server.stop()
    raise RuntimeError("dovecot did not greet within 15 s")


def _group_name(gid: int) -> str:
    import grp

    return grp.getgrgid(gid).gr_name


@pytest.fixture(scope="session")
def dovecot_server() -> Iterator[Dovecot]:
    """One Dovecot for the session (tests each get their own folder: see ``imap_folder``)."""
    if not DOVECOT.exists():
        pytest.skip(
            "Dovecot is not installed (/usr/sbin/dovecot missing: apt-get install dovecot-imapd)"
        )
    root = Path(tempfile.mkdtemp(prefix="cf-dovecot-"))
    server = start_dovecot(root)
    try:
        yield server
    finally:
        server.stop()
        shutil.rmtree(root, ignore_errors=True)


@dataclass
class ImapFolder:
    server: Dovecot
    name: str

    @property
    def url(self) -> str:
        return f"{self.server.url}/{self.name}"

    def append(self, raw: bytes, *, when: datetime) -> None:
        self.server.append(raw, when=when, folder=self.name)

    def recreate(self) -> None:
        """Delete and create the folder again: Dovecot gives it a new UIDVALIDITY."""
        imap = self.server.connect()
        try:
            assert imap.delete(self.name)[0] == "OK"
            assert imap.create(self.name)[0] == "OK"
        finally:
            imap.logout()


@pytest.fixture
def imap_folder(dovecot_server: Dovecot) -> ImapFolder:
    """A fresh, empty IMAP folder on the session's Dovecot."""
    name = f"t{uuid.uuid4().hex[:12]}"
    imap = dovecot_server.connect()
    try:
        assert imap.create(name)[0] == "OK"
    finally:
        imap.logout()
    return ImapFolder(dovecot_server, name)
