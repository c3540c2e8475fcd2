"""Start the gateway: `python -m gateway` (webhooks, router and outbox sender)."""

from __future__ import annotations

from aiohttp import web

from gateway.app import create_app
from gateway.logs import configure_logging
from settings import get_settings


def main() -> None:
    configure_logging()
    settings = get_settings()
    web.run_app(
        create_app(settings),
        host=settings.gateway_host,
        port=settings.gateway_port,
        access_log=None,  # webhook URLs can carry verification tokens
        print=None,
    )


if __name__ == "__main__":
    main()
