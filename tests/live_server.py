"""Run the real service under uvicorn in a subprocess on 127.0.0.1 (for SSE and fuzzing)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
STARTUP_TIMEOUT_SECONDS = 60.0


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@dataclass
class LiveServer:
    """A running uvicorn process and its address."""

    process: subprocess.Popen[bytes]
    base_url: str
    log_path: Path

    def log_text(self) -> str:
        """Everything the server printed so far."""
        return self.log_path.read_text(encoding="utf-8", errors="replace")


def wait_for_data(server: LiveServer, headers: Mapping[str, str] | None = None) -> None:
    """Block until ``getDataMode`` answers 200 (the initial import has committed)."""
    deadline = time.monotonic() + STARTUP_TIMEOUT_SECONDS
    request = urllib.request.Request(
        f"{server.base_url}/api/v1/data/mode", headers=dict(headers or {})
    )
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(request, timeout=5) as reply:
                if reply.status == 200:
                    return
        except urllib.error.HTTPError as error:
            if error.code != 503:
                raise
        time.sleep(0.2)
    raise RuntimeError(f"data never became available:\n{server.log_text()}")


def _wait_healthy(server: LiveServer) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(f"server exited early:\n{server.log_text()}")
        try:
            with urllib.request.urlopen(f"{server.base_url}/api/v1/health", timeout=2) as reply:
                if reply.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(0.1)
    raise RuntimeError(f"server did not become healthy:\n{server.log_text()}")


def start_server(home: Path, env: Mapping[str, str] | None = None) -> LiveServer:
    """Start ``python -m quant_engine serve`` with ``QE_HOME=home``; wait until healthy."""
    port = free_port()
    home.mkdir(parents=True, exist_ok=True)
    log_path = home / "server.log"
    process_env = {**os.environ, "QE_HOME": str(home), **(env or {})}
    with open(log_path, "wb") as log_file:
        process = subprocess.Popen(
            [sys.executable, "-m", "quant_engine", "serve", "--port", str(port)],
            cwd=REPO_ROOT,
            env=process_env,
            stdout=log_file,
            stderr=subprocess.STDOUT,
        )
    server = LiveServer(process=process, base_url=f"http://127.0.0.1:{port}", log_path=log_path)
    try:
        _wait_healthy(server)
    except RuntimeError:
        stop_server(server)
        raise
    return server


def stop_server(server: LiveServer, sig: int = signal.SIGTERM) -> None:
    """Stop the server (SIGTERM by default, SIGKILL to simulate a crash) and reap it."""
    if server.process.poll() is None:
        server.process.send_signal(sig)
        try:
            server.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.process.kill()
            server.process.wait(timeout=5)


@contextmanager
def running_server(home: Path, env: Mapping[str, str] | None = None) -> Iterator[LiveServer]:
    """Context manager around ``start_server``/``stop_server``."""
    server = start_server(home, env)
    try:
        yield server
    finally:
        stop_server(server)
