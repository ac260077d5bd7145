"""`evolve-bot sandbox serve`'s body: run the sandbox standalone and print its URLs."""

from __future__ import annotations

import asyncio
from pathlib import Path

import typer

from bot.sandbox.sandbox import Sandbox
from bot.sandbox.server import serve

BANNER = """Sandbox GitHub is up.
  REST/GraphQL base URL : {url}   (export EVOLVE_GITHUB_API_URL={url})
  GraphQL               : {url}/graphql
  Control API           : {url}/_sandbox   (routes: bot/sandbox/README.md)
  Repositories on disk  : {root}
Press Ctrl-C to stop."""


async def run(*, host: str, port: int, root: Path, ready: asyncio.Event | None = None) -> None:
    """Serve until cancelled (Ctrl-C cancels it); prints the banner once listening."""
    async with Sandbox(root=root) as sandbox, serve(sandbox, host=host, port=port) as url:
        typer.echo(BANNER.format(url=url, root=root.resolve()))
        if ready is not None:
            ready.set()
        await asyncio.Event().wait()
