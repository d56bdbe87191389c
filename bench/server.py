"""The benchmarked server: `lif serve` in its own process group, ready-checked, stopped cleanly, log kept."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

from bench.support import REPO_ROOT, free_port


class Server:
    """`lif serve --no-worker --no-migrate` in its own process group, stopped with SIGTERM (then SIGKILL)."""

    def __init__(self, url: str, log_path: Path, *, bpmn_dir: Path, workers: int = 1, root: Path = REPO_ROOT) -> None:
        self.url = url
        self.root = root  # the checkout whose code serves (bench/pair.py --before runs an earlier one)
        self.bpmn_dir = bpmn_dir
        self.workers = workers
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.log_path = log_path
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 120.0) -> float:
        env = dict(os.environ)
        env.update(
            {
                "LIF_DATABASE_URL": self.url,
                "LIF_LOG_LEVEL": "WARNING",
                "PYTHONUNBUFFERED": "1",
                "LIF_BPMN_DIR": str(self.bpmn_dir),
                "PYTHONPATH": str(self.root),  # ahead of the venv's editable install of this checkout
            }
        )
        command = [
            sys.executable, "-m", "service.cli", "serve", "--no-worker", "--no-migrate",
            "--host", "127.0.0.1", "--port", str(self.port), "--workers", str(self.workers),
        ]  # fmt: skip
        self._log = self.log_path.open("ab")
        started = time.perf_counter()
        self.process = subprocess.Popen(
            command, cwd=self.root, env=env, stdout=self._log, stderr=subprocess.STDOUT, start_new_session=True
        )
        with httpx.Client(base_url=self.base_url, timeout=5, trust_env=False) as client:
            while True:
                if self.process.poll() is not None:
                    raise RuntimeError(f"the server exited with {self.process.returncode}:\n{self.tail()}")
                try:
                    if client.get("/health/ready").status_code == 200:
                        return time.perf_counter() - started
                except httpx.TransportError:
                    pass
                if time.perf_counter() - started > timeout:
                    raise RuntimeError(f"the server was not ready after {timeout:.0f}s:\n{self.tail()}")
                time.sleep(0.1)

    @property
    def group(self) -> int | None:
        """The server's process group (its own session): every API process and the supervisor are in it."""
        return self.process.pid if self.process is not None else None

    def stop(self) -> None:
        process, self.process = self.process, None
        if process is None:
            return
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=5)
        self._log.close()

    def tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no server log)"
