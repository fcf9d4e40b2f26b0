"""Usage mistakes get click's short message and exit code 2, never a traceback."""

from __future__ import annotations

import subprocess
import sys

import pytest


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["campaign", "launch"], "Missing argument"),
        (["creators", "list", "--format", "xml"], "Invalid value for '--format'"),
        (["no-such-command"], "No such command"),
    ],
)
def test_usage_errors_exit_2_with_a_message_and_no_traceback(
    args: list[str], expected: str
) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "creatorflow.cli", *args],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert expected in result.stderr
    assert "Traceback" not in result.stderr
