"""`python -m sandbox`: the Messenger and X simulators and the chat page, until Ctrl-C.

`python -m sandbox --env` only prints the gateway's environment as shell `export` lines, for
`eval "$(scripts/app.sh -m sandbox --env)"` before starting the gateway.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import shlex
import signal

from aiohttp import web

from sandbox.page.app import SIMULATORS, page_app
from sandbox.simulator.server import SandboxConfig, gateway_environment


def exports(environment: dict[str, str]) -> str:
    return "\n".join(f"export {key}={shlex.quote(value)}" for key, value in environment.items())


async def serve(config: SandboxConfig) -> None:
    """Run the page (and with it the simulators) until SIGINT or SIGTERM."""
    runner = web.AppRunner(page_app(config), access_log=None)
    await runner.setup()
    try:
        site = web.TCPSite(runner, config.host, config.page_port)
        await site.start()
        host, port = runner.addresses[0][:2]
        simulators = runner.app[SIMULATORS]
        print(
            f"Sandbox page: http://{host}:{port}/\n"
            f"Webhooks go to the gateway at {config.gateway_url}\n"
            f"Start the gateway with this environment:\n\n"
            f"{exports(simulators.gateway_environment())}\n",
            flush=True,
        )
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, stop.set)
        await stop.wait()
    finally:
        await runner.cleanup()


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m sandbox", description=__doc__)
    parser.add_argument(
        "--env", action="store_true", help="print the gateway's environment and exit"
    )
    config = SandboxConfig.from_environ()
    if parser.parse_args().env:
        try:
            print(exports(gateway_environment(config)))
        except ValueError:
            parser.error("--env needs fixed SANDBOX_GRAPH_PORT and SANDBOX_X_PORT (not 0)")
        return
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve(config))


if __name__ == "__main__":
    main()
