"""What the loopback servers in tests (SMTP, IMAP, HTTP, Prefect) need to start."""

from __future__ import annotations

import socket


def free_port() -> int:
    """A port free right now on 127.0.0.1 (aiosmtpd cannot bind port 0: issue 388)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
