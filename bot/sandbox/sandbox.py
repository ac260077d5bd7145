"""The Sandbox: a local GitHub whose people, apps and CI are driven from Python (and HTTP)."""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from bot.sandbox.local_github import LocalGitHub
from bot.sandbox.server import serve


class Sandbox(LocalGitHub):
    """A local GitHub you can serve: `async with Sandbox(root) as sb:` then `sb.serve()`.

    The operations are LocalGitHub's, one module per resource (accounts, apps, repositories,
    pulls, issues, checks); this facade adds serving them over HTTP and closing down.
    """

    async def __aenter__(self) -> Sandbox:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close_all()

    @asynccontextmanager
    async def serve(self, host: str = "127.0.0.1", port: int = 0, *, sock: socket.socket | None = None) -> AsyncIterator[str]:
        """Serve the REST/GraphQL/control API with uvicorn in this event loop (on `sock` when
        given, a socket bound already); yields the base URL."""
        async with serve(self, host=host, port=port, sock=sock) as base_url:
            yield base_url
