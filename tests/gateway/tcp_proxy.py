"""A TCP proxy on loopback for resilience tests: it can refuse connections (the upstream looks
down) and hold the bytes of either direction (the upstream looks slow).

    proxy = TcpProxy(upstream_port=5005)
    await proxy.start()              # ENGINE_URL=proxy.url
    await proxy.refuse()             # connections refused, open ones cut
    await proxy.accept()             # listening again, on the same port
    proxy.hold_responses = True      # requests go through; answers wait until it is False

Held bytes are dropped, never relayed, once the client has gone (e.g. it was killed): a request a
dead client sent is not delivered later by the proxy.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable


class TcpProxy:
    def __init__(self, upstream_port: int, upstream_host: str = "127.0.0.1") -> None:
        self.upstream = (upstream_host, upstream_port)
        self.port = 0
        self.hold_requests = False  # client → upstream bytes wait while set
        self.hold_responses = False  # upstream → client bytes wait while set
        self.requests = bytearray()  # every byte clients sent (relayed or not)
        self.responses = bytearray()  # every byte the upstream answered (relayed or not)
        self._server: asyncio.Server | None = None
        self._connections: set[asyncio.Task[None]] = set()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def start(self) -> None:
        await self.accept()

    async def accept(self) -> None:
        """Listen (again): on a free port the first time, then on the same one."""
        if self._server is None:
            self._server = await asyncio.start_server(self._serve, "127.0.0.1", self.port)
            self.port = int(self._server.sockets[0].getsockname()[1])

    async def refuse(self) -> None:
        """Stop listening (new connections are refused) and cut the open ones."""
        if self._server is not None:
            self._server.close()
            for task in list(self._connections):
                task.cancel()
            await asyncio.gather(*self._connections, return_exceptions=True)
            await self._server.wait_closed()
            self._server = None

    async def close(self) -> None:
        await self.refuse()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._connections.add(task)
        upstream: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None
        try:
            upstream = await asyncio.open_connection(*self.upstream)
            await self._relay((reader, writer), upstream)
        except (OSError, asyncio.CancelledError):
            # The upstream refused, or refuse() cut the connection: end quietly (asyncio's
            # stream callback would log a cancelled connection task as an error).
            pass
        finally:
            self._connections.discard(task)
            for stream in (writer, upstream[1] if upstream else None):
                if stream is not None:
                    stream.close()
                    with contextlib.suppress(Exception):
                        await stream.wait_closed()

    async def _relay(
        self,
        client: tuple[asyncio.StreamReader, asyncio.StreamWriter],
        upstream: tuple[asyncio.StreamReader, asyncio.StreamWriter],
    ) -> None:
        client_gone = client[0].at_eof
        try:
            async with asyncio.TaskGroup() as pipes:  # one side fails: the other is cancelled
                pipes.create_task(
                    self._pipe(
                        client[0],
                        upstream[1],
                        lambda: self.hold_requests,
                        self.requests,
                        client_gone,
                    )
                )
                pipes.create_task(
                    self._pipe(
                        upstream[0],
                        client[1],
                        lambda: self.hold_responses,
                        self.responses,
                        client_gone,
                    )
                )
        except* OSError:
            pass  # a side hung up (or was killed)

    @staticmethod
    async def _pipe(
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        held: Callable[[], bool],
        seen: bytearray,
        client_gone: Callable[[], bool],
    ) -> None:
        while data := await reader.read(65536):
            seen.extend(data)
            while held():
                if client_gone():
                    raise ConnectionResetError("the client left while its bytes were held")
                await asyncio.sleep(0.05)
            writer.write(data)
            await writer.drain()
        if writer.can_write_eof():
            writer.write_eof()
