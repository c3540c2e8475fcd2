"""Start the action server: `python -m actions`.

Unlike `python -m rasa_sdk`, it listens on ACTIONS_HOST (loopback by default), migrates the store
(and loads the demo data on first run) before serving, and loads the FAQ model before the first
request rather than during one.
"""

from __future__ import annotations

import asyncio
import logging

from rasa_sdk.endpoint import create_app
from rasa_sdk.executor import ActionExecutor
from sanic import Sanic

from knowledge.search import default_index
from settings import get_settings
from store.db import prepare_database


async def _warm_up(app: Sanic) -> None:
    await asyncio.to_thread(default_index)


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    settings = get_settings()
    prepare_database(settings.database_url)
    executor = ActionExecutor()
    executor.register_package("actions")
    app = create_app(executor, cors_origins=None)
    app.register_listener(_warm_up, "before_server_start")
    app.run(
        host=settings.actions_host,
        port=settings.actions_port,
        single_process=True,
        access_log=False,
        motd=False,
    )


if __name__ == "__main__":
    main()
