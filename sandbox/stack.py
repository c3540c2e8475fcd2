"""Start the engine and the action server as real processes on free loopback ports.

Tests, benchmarks and `make run` all use real processes, so what is measured and tested is what
runs in production.
"""

from __future__ import annotations

import os
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import requests

from settings import REPO_ROOT


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# The engine's `rasa` with the repo on its path (config.yml names components in nlu_components/).
RASA = REPO_ROOT / "scripts" / "rasa.sh"


def environment_python(name: str) -> Path:
    """The interpreter of the `app` or `engine` environment (built on first use)."""
    venv = subprocess.run(
        [str(REPO_ROOT / "scripts" / "venv.sh"), name], check=True, capture_output=True, text=True
    ).stdout.strip()
    return Path(venv) / "bin" / "python"


def trained_model() -> Path:
    """The model for the current data and config (trained now if there is none)."""
    out = subprocess.run(
        [str(REPO_ROOT / "scripts" / "train.sh")], check=True, capture_output=True, text=True
    )
    return Path(out.stdout.strip())


@dataclass
class Service:
    """A running process and the URL it answers on."""

    name: str
    url: str
    process: subprocess.Popen[bytes]
    log_path: Path
    started_at: float = field(default_factory=time.monotonic)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def _wait_until_ready(service: Service, probe: str, timeout: float) -> float:
    """Seconds from process start until `probe` answers 200; raises with the log otherwise."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if service.process.poll() is not None:
            raise RuntimeError(f"{service.name} exited early:\n{service.log()[-4000:]}")
        try:
            if requests.get(probe, timeout=2).status_code == 200:
                return time.monotonic() - service.started_at
        except requests.RequestException:
            pass
        time.sleep(0.2)
    service.stop()
    raise TimeoutError(f"{service.name} not ready after {timeout}s:\n{service.log()[-4000:]}")


def _spawn(name: str, args: list[str], env: dict[str, str], log_dir: Path) -> tuple[Popen, Path]:
    log_path = log_dir / f"{name}.log"
    log = log_path.open("wb")
    process = subprocess.Popen(
        args, cwd=REPO_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
    )
    return process, log_path


Popen = subprocess.Popen[bytes]


def start_actions(database_url: str, log_dir: Path, port: int | None = None) -> Service:
    """The action server on `database_url` (migrated, demo data loaded when empty)."""
    port = port or free_port()
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "ACTIONS_HOST": "127.0.0.1",
        "ACTIONS_PORT": str(port),
        "PYTHONPATH": str(REPO_ROOT),
        "HF_HUB_OFFLINE": "1",
        "TRANSFORMERS_OFFLINE": "1",
    }
    process, log_path = _spawn(
        "actions", [str(environment_python("app")), "-m", "actions"], env, log_dir
    )
    service = Service("actions", f"http://127.0.0.1:{port}", process, log_path)
    _wait_until_ready(service, f"{service.url}/health", timeout=180)
    return service


def start_engine(
    action_url: str,
    log_dir: Path,
    model: Path | None = None,
    port: int | None = None,
    token: str | None = None,
    tracker_db: Path | None = None,
) -> tuple[Service, float]:
    """The Rasa engine with its HTTP API, conversations in memory: (service, start-up seconds)."""
    port = port or free_port()
    model = model or trained_model()
    endpoints = Path(tempfile.mkstemp(suffix=".yml", dir=log_dir)[1])
    # Conversations in memory unless `tracker_db` is given: then in SQLite, as `make run` has it.
    tracker = ""
    if tracker_db:
        tracker = f'tracker_store:\n  type: SQL\n  dialect: sqlite\n  db: "{tracker_db}"\n'
    endpoints.write_text(f'action_endpoint:\n  url: "{action_url}/webhook"\n{tracker}')
    rasa = RASA
    args = [
        str(rasa), "run", "--enable-api", "--model", str(model), "-i", "127.0.0.1", "-p", str(port),
        "--endpoints", str(endpoints), "--credentials", str(REPO_ROOT / "credentials.yml"),
    ]  # fmt: skip
    if token:
        args += ["--auth-token", token]
    process, log_path = _spawn("engine", args, dict(os.environ), log_dir)
    service = Service("engine", f"http://127.0.0.1:{port}", process, log_path)
    probe = f"{service.url}/status" + (f"?token={token}" if token else "")
    startup = _wait_until_ready(service, probe, timeout=300)
    return service, startup


@contextmanager
def running(*services: Service) -> Iterator[None]:
    """Stop the services however the block ends."""
    try:
        yield
    finally:
        for service in reversed(services):
            service.stop()


def start_gateway(environment: dict[str, str], log_dir: Path, port: int | None = None) -> Service:
    """The gateway (`python -m gateway`) with `environment` on top of ours: give it DATABASE_URL,
    ENGINE_URL and the platform variables (e.g. a simulator's `gateway_environment()`)."""
    port = port or free_port()
    env = {
        **os.environ,
        **environment,
        "GATEWAY_HOST": "127.0.0.1",
        "GATEWAY_PORT": str(port),
        "PYTHONPATH": str(REPO_ROOT),
    }
    process, log_path = _spawn(
        f"gateway-{port}", [str(environment_python("app")), "-m", "gateway"], env, log_dir
    )
    service = Service("gateway", f"http://127.0.0.1:{port}", process, log_path)
    _wait_until_ready(service, f"{service.url}/healthz", timeout=120)
    return service
