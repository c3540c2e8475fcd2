"""The staff CLI (`python -m desk`), run as a real process; accounts it makes sign in through
the API."""

from __future__ import annotations

import base64
import os
import select
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from settings import REPO_ROOT, Settings

ADMIN_PASSWORD = "a long admin passphrase"
AGENT_PASSWORD = "another long passphrase"


@dataclass
class Run:
    code: int
    out: str
    err: str


def cli(database_url: str, *args: str, **env: str) -> Run:
    environment = {
        key: value
        for key, value in os.environ.items()
        if key not in ("DESK_ADMIN_PASSWORD", "DESK_AGENT_PASSWORD")
    }
    environment.update(DATABASE_URL=database_url, PYTHONPATH=str(REPO_ROOT), **env)
    done = subprocess.run(
        [sys.executable, "-m", "desk", *args],
        env=environment,
        cwd=REPO_ROOT,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
    )
    return Run(done.returncode, done.stdout, done.stderr)


def on_a_terminal(database_url: str, args: list[str], typed: list[str]) -> tuple[int, str]:
    """Runs the CLI with a terminal (a pseudo-terminal) for its input, typing `typed` at each
    prompt; its exit code and everything the terminal showed."""
    leader, follower = os.openpty()
    environment = {
        key: value
        for key, value in os.environ.items()
        if key not in ("DESK_ADMIN_PASSWORD", "DESK_AGENT_PASSWORD")
    }
    environment.update(DATABASE_URL=database_url, PYTHONPATH=str(REPO_ROOT))
    process = subprocess.Popen(
        [sys.executable, "-m", "desk", *args],
        env=environment,
        cwd=REPO_ROOT,
        stdin=follower,
        stdout=follower,
        stderr=follower,
        start_new_session=True,  # no other terminal: getpass uses the one on stdin
    )
    os.close(follower)
    screen = ""
    deadline = time.monotonic() + 60
    pending = list(typed)
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([leader], [], [], 0.1)
            if ready:
                try:
                    chunk = os.read(leader, 4096).decode()
                except OSError:  # the process ended and closed the terminal
                    break
                if not chunk:
                    break
                screen += chunk
                # A prompt is the screen's last line, still open (the answer ends it).
                if pending and screen.endswith(": "):
                    os.write(leader, (pending.pop(0) + "\n").encode())
            elif process.poll() is not None:
                break
        return process.wait(timeout=10), screen
    finally:
        os.close(leader)
        if process.poll() is None:
            process.kill()


async def test_create_admin_takes_the_password_from_the_environment_and_the_admin_signs_in(
    database_url: str, desk_server: Any
) -> None:
    run = cli(
        database_url,
        "create-admin",
        "Boss",
        "--name",
        "The Boss",
        DESK_ADMIN_PASSWORD=ADMIN_PASSWORD,
    )
    assert (run.code, run.out.strip()) == (0, "admin 'boss' (The Boss) added"), run.err
    assert ADMIN_PASSWORD not in run.out + run.err

    client = await desk_server.client()
    answer = await client.login("boss", ADMIN_PASSWORD)
    assert answer.status == 200
    assert answer.body["agent"] | {"id": 0} == {
        "id": 0,
        "username": "boss",
        "name": "The Boss",
        "role": "admin",
    }


def test_create_admin_asks_twice_on_a_terminal_without_showing_the_password(
    database_url: str, desk_data: Any
) -> None:
    code, screen = on_a_terminal(
        database_url, ["create-admin", "boss"], [ADMIN_PASSWORD, ADMIN_PASSWORD]
    )
    assert code == 0, screen
    assert "Password for boss (at least 10 characters):" in screen
    assert "The same again:" in screen and "admin 'boss' (boss) added" in screen
    assert ADMIN_PASSWORD not in screen
    assert desk_data.staff("boss").role == "admin"


def test_two_different_passwords_on_the_terminal_change_nothing(
    database_url: str, desk_data: Any
) -> None:
    code, screen = on_a_terminal(
        database_url, ["create-admin", "boss"], [ADMIN_PASSWORD, "something else entirely"]
    )
    assert code == 1
    assert "The two passwords differ; nothing changed." in screen
    assert desk_data.staff("boss") is None


def test_the_password_is_never_read_from_the_command_line(
    database_url: str, desk_data: Any
) -> None:
    for args in (
        ["create-admin", "boss", ADMIN_PASSWORD],
        ["create-admin", "boss", "--password", ADMIN_PASSWORD],
    ):
        run = cli(database_url, *args)
        assert run.code == 2 and "unrecognized arguments" in run.err
    assert desk_data.staff("boss") is None


def test_without_a_terminal_or_the_variable_it_says_how_to_give_the_password(
    database_url: str, desk_data: Any
) -> None:
    run = cli(database_url, "create-admin", "boss")
    assert run.code == 1
    assert run.err.strip() == (
        "desk: No terminal to ask for boss's password: set DESK_ADMIN_PASSWORD to pass it instead."
    )
    assert desk_data.staff("boss") is None


def test_a_short_password_or_a_taken_name_is_refused(database_url: str, desk_data: Any) -> None:
    short = cli(database_url, "create-admin", "boss", DESK_ADMIN_PASSWORD="short")
    assert short.code == 1
    assert short.err.strip() == "desk: Passwords must have at least 10 characters."
    assert desk_data.staff("boss") is None

    assert cli(database_url, "create-admin", "boss", DESK_ADMIN_PASSWORD=ADMIN_PASSWORD).code == 0
    again = cli(database_url, "add-agent", "BOSS", DESK_AGENT_PASSWORD=AGENT_PASSWORD)
    assert again.code == 1
    assert again.err.strip() == "desk: There is already a member of staff called 'boss'."

    spaced = cli(database_url, "add-agent", "two words", DESK_AGENT_PASSWORD=AGENT_PASSWORD)
    assert spaced.code == 1 and "without spaces" in spaced.err


async def test_add_list_and_deactivate_agents(
    database_url: str, desk_server: Any, desk_data: Any
) -> None:
    assert cli(database_url, "create-admin", "boss", DESK_ADMIN_PASSWORD=ADMIN_PASSWORD).code == 0
    added = cli(
        database_url,
        "add-agent",
        "alice",
        "--name",
        "Alice Smith",
        DESK_AGENT_PASSWORD=AGENT_PASSWORD,
    )
    assert (added.code, added.out.strip()) == (0, "agent 'alice' (Alice Smith) added")
    second_admin = cli(
        database_url, "add-agent", "carol", "--admin", DESK_AGENT_PASSWORD=AGENT_PASSWORD
    )
    assert second_admin.code == 0 and second_admin.out.startswith("admin 'carol'")

    listing = cli(database_url, "list-agents")
    assert listing.code == 0
    assert listing.out.splitlines() == [
        "alice  agent  active    Alice Smith",
        "boss   admin  active    boss",
        "carol  admin  active    carol",
    ]

    alice = await desk_server.client()
    assert (await alice.login("alice", AGENT_PASSWORD)).status == 200
    gone = cli(database_url, "deactivate", "Alice")
    assert gone.code == 0 and "deactivated" in gone.out
    assert (await alice.get("/desk/api/me")).status == 401  # signed out at once
    assert (await alice.login("alice", AGENT_PASSWORD)).status == 401
    assert "inactive  Alice Smith" in cli(database_url, "list-agents").out

    unknown = cli(database_url, "deactivate", "nobody")
    assert unknown.code == 1
    assert unknown.err.strip() == "desk: There is no member of staff called 'nobody'."


def test_the_last_active_admin_cannot_be_deactivated(database_url: str, desk_data: Any) -> None:
    assert cli(database_url, "create-admin", "boss", DESK_ADMIN_PASSWORD=ADMIN_PASSWORD).code == 0
    run = cli(database_url, "deactivate", "boss")
    assert run.code == 1 and run.err.strip() == "desk: The desk needs at least one active admin."
    assert desk_data.staff("boss").active is True


def test_the_database_is_migrated_first(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'new.db'}"
    run = cli(url, "list-agents")
    assert run.code == 0
    assert run.out.strip() == "No staff yet: add the first admin with `create-admin USERNAME`."
    engine = sa.create_engine(url)
    try:
        assert "agents" in sa.inspect(engine).get_table_names()
    finally:
        engine.dispose()


def test_new_secret_prints_a_usable_desk_secret_key(tmp_path: Path) -> None:
    from desk.web.auth import secret_key

    first = cli("sqlite:///unused.db", "new-secret")
    second = cli("sqlite:///unused.db", "new-secret")
    assert first.code == 0 and second.code == 0
    value = first.out.strip()
    assert value != second.out.strip()
    assert len(base64.urlsafe_b64decode(value)) == 32
    assert secret_key(Settings(desk_secret_key=value), tmp_path / "unused") == (
        base64.urlsafe_b64decode(value)
    )
    assert not (REPO_ROOT / "unused.db").exists()  # no database needed for it


def test_usage_errors_exit_with_2(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'x.db'}"
    assert cli(url).code == 2
    assert cli(url, "promote", "alice").code == 2
    assert cli(url, "--help").code == 0
