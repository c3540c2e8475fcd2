"""`make run` as a person starts it: scripts/run.sh with the default endpoints and tracker store."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from sandbox.chat import Chat
from sandbox.stack import free_port
from settings import REPO_ROOT

pytestmark = pytest.mark.engine


@pytest.fixture
def made_run(tmp_path: Path) -> Iterator[dict[str, str]]:
    ports = {
        name: str(free_port())
        for name in ("ENGINE_PORT", "ACTIONS_PORT", "GATEWAY_PORT", "SANDBOX_PORT")
    }
    ports |= {"SANDBOX_GRAPH_PORT": str(free_port()), "SANDBOX_X_PORT": str(free_port())}
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("MESSENGER_", "X_"))},
        **ports,
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
        yield ports
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=60)


def test_make_run_serves_the_assistant_with_its_actions(made_run: dict[str, str]) -> None:
    chat = Chat(f"http://127.0.0.1:{made_run['ENGINE_PORT']}")
    reply = chat.say("where is my parcel 1Z5R89390357567127")
    assert "on its way" in reply  # the engine reached the action server and the demo store


def test_make_run_without_credentials_lets_a_person_chat_as_a_messenger_customer(
    made_run: dict[str, str],
) -> None:
    page = f"http://127.0.0.1:{made_run['SANDBOX_PORT']}"
    assert "<form" in requests.get(page, timeout=10).text
    sent = requests.post(
        f"{page}/api/send",
        json={"platform": "messenger", "user_id": "777", "name": "Ada", "text": "hi"},
        timeout=30,
    )
    assert sent.status_code == 200, sent.text
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        conversation = requests.get(
            f"{page}/api/conversation",
            params={"platform": "messenger", "user_id": "777"},
            timeout=10,
        ).json()
        bot = [m for m in conversation["messages"] if m["from"] == "bot"]
        if bot:
            assert "automated assistant" in bot[0]["text"]
            assert bot[0]["quick_replies"][0]["title"] == "Track a parcel"
            return
        time.sleep(0.5)
    pytest.fail(f"no reply through the sandbox: {conversation}")


def test_make_run_without_credentials_opens_the_desk_with_a_demo_admin(
    made_run: dict[str, str],
) -> None:
    desk = f"http://127.0.0.1:{made_run['GATEWAY_PORT']}/desk"
    with requests.Session() as staff:
        assert "Sign in" in staff.get(f"{desk}/login", timeout=10).text
        signed_in = staff.post(
            f"{desk}/api/login",
            json={"username": "demo", "password": "sandbox-demo-password"},
            timeout=30,
        )
        assert signed_in.status_code == 200, signed_in.text
        assert signed_in.json()["agent"]["role"] == "admin"
        assert staff.get(f"{desk}/api/tickets", timeout=10).status_code == 200
