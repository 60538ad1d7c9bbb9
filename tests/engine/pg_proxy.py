"""A Unix-socket proxy in front of the test PostgreSQL that can cut the connection mid-statement.

`CuttingProxy(server)`: `await start()` listens on a socket of the server's name in a private temp dir
(`dsn(server_dsn)` points a DSN at it); `cut_now()` cuts at once; `cut_on(marker)`
makes the proxy, the moment a client sends bytes containing `marker` (e.g. a row's id inside an
executemany), abort every proxied connection before forwarding them and stop listening (new
connections are refused, as from a stopped server) until `await restore()`. `cut` is set then.
`hang()` makes the server seem hung: connections stay open, new ones are accepted, but nothing
is forwarded either way (a statement never returns) until `unhang()`, which aborts them all.
"""

from __future__ import annotations

import asyncio
import shutil
import tempfile
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit, urlunsplit


class CuttingProxy:
    """Forwards <private dir>/.s.PGSQL.<port> ⇄ the server's own socket; see module docstring."""

    def __init__(self, server) -> None:
        name = f".s.PGSQL.{server.port}"  # libpq's socket name (PostgreSQL docs, "unix_socket_directories")
        self.upstream = str(Path(server.socket_dir) / name)
        self.dir = tempfile.mkdtemp(prefix="arbees-pgproxy-")  # 0700: only this test's user
        self.path = str(Path(self.dir) / name)
        self.cut = asyncio.Event()
        self._marker: bytes | None = None
        self._server: asyncio.Server | None = None
        self._transports: set[asyncio.Transport] = set()
        self.hanging = False

    def dsn(self, server_dsn: str) -> str:
        """`server_dsn` (credentials, database, port) through the proxy: its `host` is the proxy's dir."""
        parts = urlsplit(server_dsn)
        query = {k: v[0] for k, v in parse_qs(parts.query).items()} | {"host": self.dir}
        return urlunsplit(parts._replace(query=urlencode(query)))

    async def start(self) -> None:
        """Listen (on the same socket again after a cut)."""
        Path(self.path).unlink(missing_ok=True)
        self._server = await asyncio.start_unix_server(self._handle, self.path)

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
        shutil.rmtree(self.dir, ignore_errors=True)

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

    def hang(self) -> None:
        """Stop forwarding in both directions (bytes are swallowed); connections stay open."""
        self.hanging = True

    def unhang(self) -> None:
        """Forward again; the connections that hung are aborted (their protocol state is lost)."""
        self.hanging = False
        self._abort_all()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            up_reader, up_writer = await asyncio.open_unix_connection(self.upstream)
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
                if self.hanging:
                    continue
                dst.write(data)
                await dst.drain()
        except (ConnectionError, OSError):
            pass
        finally:
            dst.transport.abort()
