"""The desk's staff CLI: `scripts/app.sh -m desk COMMAND` (see `--help`).

    create-admin USERNAME [--name NAME]   the first admin (then add the rest in the admin page)
    add-agent USERNAME [--name NAME] [--admin]
    list-agents
    deactivate USERNAME
    new-secret                            a value for DESK_SECRET_KEY

Passwords are asked for twice on the terminal, or read from DESK_ADMIN_PASSWORD (create-admin)
or DESK_AGENT_PASSWORD (add-agent) for scripts; never from the command line, where other users
and the shell history would see them. The database is migrated first. Exit codes: 0 done,
1 refused (the message says why), 2 wrong usage.
"""

from __future__ import annotations

import argparse
import getpass
import os
import sys
from collections.abc import Callable, Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from desk.staff import PASSWORD_MIN, StaffError, create_agent, list_agents, update_agent
from desk.staff import normalise_username as normalised
from desk.web.auth import new_secret
from store.db import prepare_database, session_factory
from store.models import Agent, AgentRole

PASSWORD_VARIABLES = {
    AgentRole.ADMIN: "DESK_ADMIN_PASSWORD",
    AgentRole.AGENT: "DESK_AGENT_PASSWORD",
}


class Refused(Exception):
    """The command cannot be done; the message says why."""


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        if args.command == "new-secret":
            print(new_secret())
            return 0
        engine = prepare_database(args.database_url, load_demo=False)
        try:
            with session_factory(engine).begin() as session:
                message = args.run(session, args)
        finally:
            engine.dispose()
    except (Refused, StaffError) as error:
        print(f"desk: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("\ndesk: stopped, nothing changed", file=sys.stderr)
        return 1
    if message:
        print(message)
    return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m desk",
        description="Manage the desk's staff accounts. The database (DATABASE_URL) is "
        "migrated first.",
    )
    parser.add_argument("--database-url", help="SQLAlchemy URL (default: DATABASE_URL)")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    admin = commands.add_parser(
        "create-admin",
        help="add an admin (password: prompt, or DESK_ADMIN_PASSWORD)",
        description="Add an admin, e.g. the first one. The password is asked for twice, or "
        "read from DESK_ADMIN_PASSWORD when set.",
    )
    admin.add_argument("username")
    admin.add_argument("--name", help="the name others see (default: the user name)")
    admin.set_defaults(run=_add(AgentRole.ADMIN))

    agent = commands.add_parser(
        "add-agent",
        help="add an agent (password: prompt, or DESK_AGENT_PASSWORD)",
        description="Add a member of staff. The password is asked for twice, or read from "
        "DESK_AGENT_PASSWORD when set.",
    )
    agent.add_argument("username")
    agent.add_argument("--name", help="the name others see (default: the user name)")
    agent.add_argument("--admin", action="store_true", help="with the admin role")
    agent.set_defaults(run=_add(AgentRole.AGENT))

    listing = commands.add_parser("list-agents", help="list the staff accounts")
    listing.set_defaults(run=_list)

    deactivate = commands.add_parser(
        "deactivate",
        help="stop an account signing in (signed-in sessions end at once)",
    )
    deactivate.add_argument("username")
    deactivate.set_defaults(run=_deactivate)

    secret = commands.add_parser("new-secret", help="print a fresh DESK_SECRET_KEY value")
    secret.set_defaults(run=None)
    return parser


def _add(role: AgentRole) -> Callable[[Session, argparse.Namespace], str]:
    def run(session: Session, args: argparse.Namespace) -> str:
        chosen = AgentRole.ADMIN if getattr(args, "admin", False) else role
        username = normalised(args.username)  # StaffError, before asking for a password
        if session.scalar(select(Agent.id).where(Agent.username == username)) is not None:
            raise Refused(f"There is already a member of staff called {username!r}.")
        password = _password(PASSWORD_VARIABLES[role], username)
        agent = create_agent(session, username, args.name or username, password, chosen)
        return f"{agent.role.value} {agent.username!r} ({agent.display_name}) added"

    return run


def _password(variable: str, username: str) -> str:
    given = os.environ.get(variable)
    if given is not None:
        return given
    if not sys.stdin.isatty():
        raise Refused(
            f"No terminal to ask for {username}'s password: set {variable} to pass it instead."
        )
    password = getpass.getpass(f"Password for {username} (at least {PASSWORD_MIN} characters): ")
    if len(password) < PASSWORD_MIN:
        raise Refused(f"Passwords must have at least {PASSWORD_MIN} characters; nothing changed.")
    if getpass.getpass("The same again: ") != password:
        raise Refused("The two passwords differ; nothing changed.")
    return password


def _list(session: Session, args: argparse.Namespace) -> str:
    staff = list_agents(session)
    if not staff:
        return "No staff yet: add the first admin with `create-admin USERNAME`."
    width = max(len(agent.username) for agent in staff)
    return "\n".join(
        f"{agent.username:<{width}}  {agent.role.value:<5}  "
        f"{'active  ' if agent.active else 'inactive'}  {agent.display_name}"
        for agent in staff
    )


def _deactivate(session: Session, args: argparse.Namespace) -> str:
    username = normalised(args.username)
    agent = session.scalar(select(Agent).where(Agent.username == username))
    if agent is None:
        raise Refused(f"There is no member of staff called {username!r}.")
    if not agent.active:
        return f"{username!r} was already inactive"
    update_agent(session, agent.id, active=False)
    return f"{username!r} deactivated: they cannot sign in, and their sessions have ended"


if __name__ == "__main__":
    raise SystemExit(main())
