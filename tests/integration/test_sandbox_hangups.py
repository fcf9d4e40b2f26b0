"""A client hanging up on the sandbox mid-answer (a timeout under test) prints nothing."""

from __future__ import annotations

import time

import pytest
import requests

from creatorflow.sandbox import SandboxServers


def test_a_client_that_times_out_leaves_no_traceback(
    sandbox: SandboxServers, capsys: pytest.CaptureFixture[str]
) -> None:
    sandbox.youtube.fail("slow", delay=0.3)
    with pytest.raises(requests.Timeout):
        requests.get(f"{sandbox.youtube.url}/youtube/v3/channels", timeout=0.05)
    time.sleep(0.5)  # the server writes its answer to the closed connection meanwhile
    assert requests.get(f"{sandbox.youtube.url}/youtube/v3/channels", timeout=5).status_code
    captured = capsys.readouterr()
    assert "Exception occurred" not in captured.err + captured.out
