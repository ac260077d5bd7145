"""Entry point of `evolve-bot`: adds serve and replay (which need the HTTP intake) to bot.cli."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Annotated, Any

import httpx
import typer
from githubkit.webhooks import sign

from bot import logs
from bot.cli import app, console, fail
from bot.settings import Settings, SettingsError, load_settings
from bot.store.deliveries import new_delivery_id

from .app import create_app

# The local GitHub, for trying the bot by hand: `evolve-bot sandbox serve`. Only this command
# imports the sandbox (lazily), so the bot's own commands never load it.
sandbox_app = typer.Typer(help="Run the local GitHub sandbox (REST, GraphQL, webhooks, CI).", no_args_is_help=False)
app.add_typer(sandbox_app, name="sandbox", help="Run the local GitHub (the sandbox) on its own.")

REPLAY_SECRET = "evolve-bot-replay"  # used only when WEBHOOK_SECRET is unset: replay never leaves the process


def settings_or_exit(**overrides: Any) -> Settings:
    try:
        return load_settings(**overrides)
    except SettingsError as exc:
        raise fail(str(exc)) from exc


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Interface to bind (default HOST or 0.0.0.0).")] = None,
    port: Annotated[int | None, typer.Option(help="Port (default PORT or 3000).")] = None,
) -> None:
    """Run the GitHub App: receive webhooks, store them, and process them in the background."""
    import uvicorn

    settings = settings_or_exit()
    try:
        settings.require_secret()
    except SettingsError as exc:
        raise fail(str(exc)) from exc
    logs.configure(settings.log_level)
    uvicorn.run(
        create_app(settings),
        host=host or settings.host,
        port=port if port is not None else settings.port,
        log_config=None,
        access_log=False,
        # Give in-flight deliveries a moment; anything unfinished stays in the store anyway.
        timeout_graceful_shutdown=10,
    )


@app.command()
def worker(
    drain: Annotated[bool, typer.Option("--drain", help="Process what is due now, then exit.")] = False,
    count: Annotated[int | None, typer.Option(help="Concurrent workers (default EVOLVE_WORKERS).")] = None,
) -> None:
    """Process the stored backlog without serving HTTP: scale-out next to `serve` with EVOLVE_WORKERS=0.

    Several worker processes may share one PostgreSQL store: claims skip each other's locked rows
    and one repository's deliveries still run in the order received.
    """
    settings = settings_or_exit()
    logs.configure(settings.log_level)
    try:
        handled = asyncio.run(_work(settings, drain=drain, count=count or max(settings.workers, 1)))
    except KeyboardInterrupt:
        raise typer.Exit(130) from None
    if drain:
        console.print(f"processed {handled} deliveries")


async def _work(settings: Settings, *, drain: bool, count: int) -> int:
    from bot.store import Store

    from .app import start_autopilot, sweep_forever
    from .routes import router
    from .worker import DeliveryWorkers

    store = await Store.open(settings.database_url)
    try:
        handlers = [await start_autopilot(settings, store)] if settings.app_id is not None else []
        workers = DeliveryWorkers(store, router, count=count, handlers=handlers, max_attempts=settings.max_attempts)
        if drain:
            return await workers.drain()
        await workers.start()
        try:
            if handlers and settings.sweep_seconds > 0:
                await sweep_forever(handlers[0], every=settings.sweep_seconds)
            else:
                await asyncio.Event().wait()
        finally:
            await workers.stop()
        return 0
    finally:
        await store.close()


@app.command()
def replay(
    event: Annotated[str, typer.Argument(help="The X-GitHub-Event name, e.g. pull_request.")],
    payload: Annotated[Path, typer.Argument(help="A JSON file with the payload GitHub would send.")],
    delivery: Annotated[str | None, typer.Option(help="Delivery id (default: a new one).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the outcome as JSON.")] = False,
) -> None:
    """Send one payload through the same path as HTTP (verify, store, process), like `probot receive`."""
    try:
        body = payload.read_bytes()
    except OSError as exc:
        raise fail(f"cannot read {payload}: {exc.strerror}") from exc
    try:
        json.loads(body)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise fail(f"{payload} is not JSON: {exc}") from exc
    settings = settings_or_exit()
    secret = settings.webhook_secret or REPLAY_SECRET
    settings = settings.model_copy(update={"webhook_secret": secret, "workers": 0})
    outcome = asyncio.run(_replay(settings, event, body, delivery or new_delivery_id()))
    if as_json:
        typer.echo(json.dumps(outcome, indent=2))
    else:
        console.print(f"HTTP {outcome['status']}: {outcome['message']}")
        for signal in outcome["signals"]:
            console.print(f"  signal [bold]{signal['kind']}[/] {json.dumps({k: v for k, v in signal.items() if k in ('action', 'repository', 'actor', 'number', 'from_bot')})}")
        for entry in outcome["journal"]:
            console.print(f"  journal {entry['kind']}: {entry['message']}")
    if outcome["status"] >= 400 or outcome.get("error"):
        raise typer.Exit(1)


async def _replay(settings: Settings, event: str, body: bytes, delivery_id: str) -> dict[str, Any]:
    app_ = create_app(settings)
    async with app_.router.lifespan_context(app_):
        transport = httpx.ASGITransport(app=app_)
        async with httpx.AsyncClient(transport=transport, base_url="http://replay") as client:
            response = await client.post(
                settings.webhook_path,
                content=body,
                headers={
                    "Content-Type": "application/json",
                    "X-GitHub-Event": event,
                    "X-GitHub-Delivery": delivery_id,
                    "X-Hub-Signature-256": sign(settings.webhook_secret, body),
                    "User-Agent": "evolve-bot-replay",
                },
            )
        store = app_.state.store
        await app_.state.workers.drain()
        stored = await store.deliveries.get(delivery_id)
        return {
            "status": response.status_code,
            "message": response.json().get("message", ""),
            "delivery": delivery_id,
            "state": stored.status if stored else None,
            "error": stored.error if stored else None,
            "signals": [s.to_dict() for s in await store.deliveries.signals(delivery_id=delivery_id)],
            "journal": [e.to_dict() for e in await store.journal.entries(delivery_id=delivery_id, limit=100)],
        }


@sandbox_app.command("serve")
def sandbox_serve(
    host: Annotated[str, typer.Option("--host", help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="Port to listen on (0 picks a free one).")] = 3001,
    root: Annotated[Path, typer.Option("--root", help="Directory for the sandbox's git repositories.")] = Path(".evolve/sandbox"),
) -> None:
    """Run the sandbox until Ctrl-C."""
    from bot.sandbox.cli import run

    try:
        asyncio.run(run(host=host, port=port, root=root))
    except KeyboardInterrupt:
        typer.echo("Sandbox stopped.")


@app.command()
def demo(
    as_json: Annotated[bool, typer.Option("--json", help="Print the summary as JSON (and nothing else).")] = False,
    keep: Annotated[bool, typer.Option("--keep", help="Leave the sandbox and the bot running afterwards.")] = False,
    root: Annotated[
        Path | None, typer.Option(help="Keep the sandbox's repositories and the bot's store here (default .evolve/demo, replaced).")
    ] = None,
) -> None:
    """Play the whole loop on a local GitHub: onboarding, a rewrite PR, CI, merge, a regression reverted."""
    from .demo import print_json, run_demo, summary_table

    try:
        story = asyncio.run(run_demo(root=root, keep=keep, console=None if as_json else console))
    except KeyboardInterrupt:
        raise typer.Exit(130) from None
    if as_json:
        print_json(story)
    elif not keep:
        console.print(summary_table(story))
        console.print(story.where(), highlight=False, soft_wrap=True)
    if not story.ok:
        raise typer.Exit(1)


def main() -> None:
    app()


if __name__ == "__main__":
    main()
