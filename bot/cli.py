"""The `evolve-bot` command's bot-side subcommands (journal, …); webhooks.cli adds serve and replay."""

from __future__ import annotations

import asyncio
import json
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from bot.settings import DEMO_DATABASE, SettingsError, load_settings
from bot.store import Store
from bot.store.engine import StoreError

app = typer.Typer(
    name="evolve-bot",
    help="A GitHub App that opens evolution pull requests, learns from reviewers and reverts its regressions.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
console = Console()
errors = Console(stderr=True)

# Said after a missing store: where else the records may be.
OTHER_STORES = (
    "; EVOLVE_DATABASE_URL picks the store to read "
    f"(`evolve-bot demo` keeps its own: EVOLVE_DATABASE_URL=sqlite+aiosqlite:///{DEMO_DATABASE})"
)


def fail(message: str, *, code: int = 2) -> typer.Exit:
    """Print one readable error line and return the Exit to raise."""
    errors.print(f"[bold red]error:[/] {message}", highlight=False, soft_wrap=True)
    return typer.Exit(code)


async def open_store() -> Store:
    """The store the read-only commands read; one that does not exist is an error, never created."""
    try:
        settings = load_settings()
    except SettingsError as exc:
        raise fail(str(exc)) from exc
    try:
        return await Store.open(settings.database_url, create=False)
    except StoreError as exc:
        raise fail(f"{exc}{OTHER_STORES}") from exc


@app.command()
def journal(
    as_json: Annotated[bool, typer.Option("--json", help="Print a JSON array instead of a table.")] = False,
    limit: Annotated[int, typer.Option("--limit", "-n", min=1, help="How many of the newest entries.")] = 50,
    repository: Annotated[str | None, typer.Option("--repo", help="Only entries about OWNER/NAME.")] = None,
    delivery: Annotated[str | None, typer.Option("--delivery", help="Only entries about one delivery id.")] = None,
) -> None:
    """The audit trail: every delivery (accepted, duplicate, ignored, processed, failed) and step."""

    async def run() -> list[dict[str, object]]:
        store = await open_store()
        try:
            entries = await store.journal.entries(limit=limit, repository=repository, delivery_id=delivery)
        finally:
            await store.close()
        return [e.to_dict() for e in entries]

    entries = asyncio.run(run())
    if as_json:
        typer.echo(json.dumps(entries, indent=2))
        return
    if not entries:
        console.print("The journal is empty: no delivery has reached this store yet.")
        return
    table = Table(title=f"Journal (newest {len(entries)})", show_lines=False)
    table.add_column("#", justify="right")
    table.add_column("at (UTC)", no_wrap=True)
    table.add_column("kind", no_wrap=True)
    table.add_column("repository", overflow="fold")
    table.add_column("delivery", no_wrap=True)
    table.add_column("message", overflow="fold", ratio=1)
    for e in entries:
        table.add_row(
            str(e["id"]),
            str(e["at"])[:19].replace("T", " "),
            str(e["kind"]),
            str(e["repository"] or ""),
            str(e["delivery_id"] or "")[:8],
            str(e["message"]),
        )
    console.print(table)


@app.command()
def stats(
    repository: Annotated[str | None, typer.Option("--repo", help="Only OWNER/NAME.")] = None,
    settle_days: Annotated[int, typer.Option(min=0, help="Days a merge must stand to count as a success.")] = 7,
) -> None:
    """Acceptance per proposal kind, and how well the stated confidence was calibrated (Brier, reliability)."""
    import datetime as dt

    from bot.confidence import outcome_of, render_stats
    from bot.confidence import stats as summarise

    async def run() -> str:
        store = await open_store()
        try:
            proposals = await store.proposals.find(repository, limit=100_000)
        finally:
            await store.close()
        at = dt.datetime.now(dt.UTC)
        outcomes = [
            o
            for p in proposals
            if (o := outcome_of(p, now=at, settle_days=settle_days, thumbs_down=p.thumbs_down, thumbs_up=p.thumbs_up))
            is not None
        ]
        return render_stats(summarise(outcomes, repository=repository))

    typer.echo(asyncio.run(run()), nl=False)


@app.command()
def rules(
    repository: Annotated[str, typer.Option("--repo", help="OWNER/NAME whose review examples to learn from.")],
    min_examples: Annotated[int, typer.Option(min=1, help="Examples a rule needs (the repo's learn.min_examples).")] = 2,
) -> None:
    """The rules learned from a repository's reviews: each with its examples, its record and whether it is retired."""
    from bot.rules import learn_rules, retirement

    async def run() -> tuple[list, dict[str, str], list, list]:
        store = await open_store()
        try:
            examples = await store.learning.examples(repository)
            retired = await store.learning.retired_rules(repository)
            taught = await store.learning.retired_examples(repository)
            proposals = [p for p in await store.proposals.find(repository, limit=100_000) if p.kind == "learned_rule"]
        finally:
            await store.close()
        return learn_rules(examples, min_examples=min_examples), retired, taught, proposals

    learned, retired, taught, proposals = asyncio.run(run())
    if not learned:
        console.print(f"No review examples stored for {repository} yet: rules come from applied suggestions.")
        return
    for rule in learned:
        why = retirement(rule, retired, taught) if rule.kept else None
        status = f"retired ({why})" if why else ("kept" if rule.kept else f"rejected: {rule.rejected_reason}")
        what = f"{rule.rule.describe()} ({rule.rule.language})" if rule.rule else "(no rule)"
        mine = [p for p in proposals if p.spec.get("rule_id") == rule.id]
        record = ", ".join(f"{p.id}: {p.state}" + (f" #{p.pr_number}" if p.pr_number else "") for p in mine) or "not proposed yet"
        console.print(f"[bold]{rule.id}[/] {what} — {status}", highlight=False, soft_wrap=True)
        for example in rule.examples:
            console.print(f"    example: {example.describe()}", highlight=False, soft_wrap=True)
        console.print(f"    record: {record}", highlight=False, soft_wrap=True)
