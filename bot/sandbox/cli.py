"""`evolve-bot sandbox`: run the sandbox standalone and print its URLs."""

from __future__ import annotations

import asyncio
from pathlib import Path

import typer

from bot.sandbox.sandbox import Sandbox
from bot.sandbox.server import serve

sandbox_app = typer.Typer(help="Run the local GitHub sandbox (REST, GraphQL, webhooks, CI).", no_args_is_help=False)

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


@sandbox_app.command("serve")
def serve_command(
    host: str = typer.Option("127.0.0.1", "--host", help="Address to listen on."),
    port: int = typer.Option(3001, "--port", help="Port to listen on (0 picks a free one)."),
    root: Path = typer.Option(Path(".evolve/sandbox"), "--root", help="Directory for the sandbox's git repositories."),
) -> None:
    """Run the sandbox until Ctrl-C."""
    try:
        asyncio.run(run(host=host, port=port, root=root))
    except KeyboardInterrupt:
        typer.echo("Sandbox stopped.")
