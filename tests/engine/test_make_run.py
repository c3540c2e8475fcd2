"""`make run` as a person starts it: scripts/run.sh with the default endpoints and tracker store."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from sandbox.chat import Chat
from sandbox.stack import free_port
from settings import REPO_ROOT

pytestmark = pytest.mark.engine


@pytest.fixture
def made_run(tmp_path: Path) -> Iterator[str]:
    engine_port, actions_port = free_port(), free_port()
    env = {
        **os.environ,
        "ENGINE_PORT": str(engine_port),
        "ACTIONS_PORT": str(actions_port),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'run.db'}",
    }
    log = (tmp_path / "run.log").open("wb")
    process = subprocess.Popen(
        [str(REPO_ROOT / "scripts" / "run.sh")],
        cwd=REPO_ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 300
        while "The assistant is up" not in (tmp_path / "run.log").read_text(errors="replace"):
            assert process.poll() is None, (tmp_path / "run.log").read_text(errors="replace")
            assert time.monotonic() < deadline, "make run did not come up in 300 s"
            time.sleep(1)
        yield f"http://127.0.0.1:{engine_port}"
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=60)


def test_make_run_serves_the_assistant_with_its_actions(made_run: str) -> None:
    chat = Chat(made_run)
    reply = chat.say("where is my parcel 1Z5R89390357567127")
    assert "on its way" in reply  # the engine reached the action server and the demo store
