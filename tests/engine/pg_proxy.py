"""A TCP proxy in front of the test PostgreSQL that can cut the network mid-statement.

`CuttingProxy(upstream_port)`: `await start()` listens on 127.0.0.1 (its `port`); `cut_now()` cuts at once; `cut_on(marker)`
makes the proxy, the moment a client sends bytes containing `marker` (e.g. a row's id inside an
executemany), abort every proxied connection before forwarding them and stop listening (new
connections are refused, as from a stopped server) until `await restore()`. `cut` is set then.
"""

from __future__ import annotations

import asyncio


class CuttingProxy:
    """Forwards 127.0.0.1:port ⇄ 127.0.0.1:upstream_port; see module docstring."""

    def __init__(self, upstream_port: int) -> None:
        self.upstream_port = upstream_port
        self.port = 0
        self.cut = asyncio.Event()
        self._marker: bytes | None = None
        self._server: asyncio.Server | None = None
        self._transports: set[asyncio.Transport] = set()

    def dsn(self, database: str) -> str:
        """DSN of `database` through the proxy."""
        return f"postgresql://arbees@127.0.0.1:{self.port}/{database}"

    async def start(self) -> None:
        """Listen (on the same port again after a cut)."""
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", self.port)
        self.port = self._server.sockets[0].getsockname()[1]

    def cut_on(self, marker: bytes) -> None:
        """Cut everything when a client sends `marker`."""
        self._marker = marker

    async def restore(self) -> None:
        """Accept connections again (the marker is forgotten)."""
        self._marker = None
        self.cut.clear()
        await self.start()

    async def close(self) -> None:
        """Stop listening and abort every connection."""
        self._abort_all()
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()

    def _abort_all(self) -> None:
        for transport in list(self._transports):
            transport.abort()
        self._transports.clear()

    def cut_now(self) -> None:
        """Abort every connection and refuse new ones until restore()."""
        self._abort_all()
        if self._server is not None:
            self._server.close()  # refuse new connections
        self.cut.set()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.upstream_port)
        except OSError:
            writer.transport.abort()
            return
        self._transports |= {writer.transport, up_writer.transport}
        await asyncio.gather(self._pipe(reader, up_writer, watch=True), self._pipe(up_reader, writer, watch=False))

    async def _pipe(self, src: asyncio.StreamReader, dst: asyncio.StreamWriter, *, watch: bool) -> None:
        tail = b""
        try:
            while data := await src.read(65536):
                if watch and self._marker is not None and self._marker in tail + data:
                    self.cut_now()
                    return
                tail = data[-64:]
                dst.write(data)
                await dst.drain()
        except (ConnectionError, OSError):
            pass
        finally:
            dst.transport.abort()
