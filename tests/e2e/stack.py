"""Real processes for the scale-out tests: PostgreSQL databases, `prefect server start`, workers.

Every process runs in its own process group with its output in a log file, so teardown can kill the
whole group (a worker's flow-run children included) even when a test fails half-way, and a failing
test can show the tail of each log.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import subprocess
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests

PROJECT_ROOT = Path(__file__).resolve().parents[2]
BIN = Path(os.environ.get("VIRTUAL_ENV") or PROJECT_ROOT / ".venv") / "bin"
TERMINAL = {"COMPLETED", "FAILED", "CRASHED", "CANCELLED"}


@dataclass
class Service:
    """A long-running child process (server or worker) in its own process group."""

    name: str
    process: subprocess.Popen[bytes]
    log: Path

    def tail(self, lines: int = 40) -> str:
        try:
            text = self.log.read_text(errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])

    def stop(self, grace: float = 10.0) -> None:
        """SIGTERM the group, then SIGKILL what is left after ``grace`` seconds."""
        if self.process.poll() is not None:
            return
        try:
            os.killpg(self.process.pid, signal.SIGTERM)
        except ProcessLookupError:
            return
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(timeout=grace)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)


@dataclass
class Stack:
    """The environment every command of the stack shares, and the processes it started."""

    workdir: Path
    env: dict[str, str]
    api_url: str
    services: list[Service] = field(default_factory=list)

    def start(self, name: str, args: Sequence[str], cwd: Path = PROJECT_ROOT) -> Service:
        log = self.workdir / f"{name}.log"
        handle = log.open("wb")
        try:
            process = subprocess.Popen(
                list(args),
                cwd=cwd,
                env=self.env,
                stdout=handle,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
        finally:
            handle.close()
        service = Service(name, process, log)
        self.services.append(service)
        return service

    def run(
        self, args: Sequence[str], *, timeout: float = 120, stdin: str | None = None
    ) -> subprocess.CompletedProcess[str]:
        """A one-shot command from the project root; fails with its output when it fails."""
        captured = {"capture_output": True, "text": True, "check": False}
        result = subprocess.run(
            list(args), cwd=PROJECT_ROOT, env=self.env, input=stdin, timeout=timeout, **captured
        )
        if result.returncode != 0:
            raise AssertionError(
                f"{' '.join(args)} exited {result.returncode}\n"
                f"stdout:\n{result.stdout[-4000:]}\nstderr:\n{result.stderr[-4000:]}"
            )
        return result

    def stop_all(self) -> None:
        for service in reversed(self.services):
            service.stop()

    def logs(self) -> str:
        return "\n".join(f"--- {s.name} ---\n{s.tail()}" for s in self.services)

    # The REST API, read with plain HTTP so the test process keeps no Prefect client state.
    def api(self, method: str, path: str, body: Mapping[str, Any] | None = None) -> Any:
        response = requests.request(method, f"{self.api_url}{path}", json=body, timeout=30)
        response.raise_for_status()
        return response.json() if response.content else None

    def wait_healthy(self, server: Service, timeout: float = 120) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if server.process.poll() is not None:
                raise AssertionError(f"prefect server exited early:\n{server.tail()}")
            try:
                if requests.get(f"{self.api_url}/health", timeout=2).ok:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.5)
        raise AssertionError(f"prefect server not healthy after {timeout} s:\n{server.tail()}")

    def run_deployment(
        self, name: str, params: Mapping[str, Any], *, flow_run_name: str | None = None
    ) -> str:
        """`prefect deployment run NAME --params -` (a parameter file on stdin); the run id."""
        args = [str(BIN / "prefect"), "deployment", "run", name, "--params", "-"]
        if flow_run_name:
            args += ["--flow-run-name", flow_run_name]
        result = self.run(args, stdin=json.dumps(params))
        for line in result.stdout.splitlines():
            if "UUID:" in line:
                return line.split("UUID:", 1)[1].strip()
        raise AssertionError(f"no flow run id in:\n{result.stdout}")

    def run_deployments_together(
        self, name: str, params: Mapping[str, Any], count: int
    ) -> list[str]:
        """``count`` `prefect deployment run` commands started at once (overlapping runs)."""
        args = [str(BIN / "prefect"), "deployment", "run", name, "--params", json.dumps(params)]
        processes = [
            subprocess.Popen(
                args,
                cwd=PROJECT_ROOT,
                env=self.env,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
            )
            for _ in range(count)
        ]
        run_ids = []
        for process in processes:
            output, _ = process.communicate(timeout=120)
            match = re.search(r"UUID: ([0-9a-f-]{36})", output)
            if process.returncode != 0 or match is None:
                raise AssertionError(f"prefect deployment run {name} failed:\n{output}")
            run_ids.append(match.group(1))
        return run_ids

    def wait_for_run(self, run_id: str, timeout: float = 180) -> dict[str, Any]:
        """The flow run once it is in a terminal state (fails the test on timeout)."""
        deadline = time.monotonic() + timeout
        run: dict[str, Any] = {}
        while time.monotonic() < deadline:
            run = self.api("GET", f"/flow_runs/{run_id}")
            if (run.get("state_type") or "") in TERMINAL:
                return run
            time.sleep(1)
        raise AssertionError(
            f"flow run {run_id} still {run.get('state_type')} after {timeout} s\n{self.logs()}"
        )

    def run_logs(self, run_id: str) -> str:
        logs = self.api("POST", "/logs/filter", {"logs": {"flow_run_id": {"any_": [run_id]}}})
        return "\n".join(entry["message"] for entry in logs)

    def artifacts(self, run_id: str) -> list[dict[str, Any]]:
        return list(
            self.api(
                "POST", "/artifacts/filter", {"artifacts": {"flow_run_id": {"any_": [run_id]}}}
            )
        )
