"""The command line: serve refuses without a secret, journal prints the trail, replay runs a payload."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.fixtures.webhooks import all_payloads
from webhooks.cli import app

runner = CliRunner()


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("EVOLVE_DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}")
    monkeypatch.delenv("WEBHOOK_SECRET", raising=False)
    return tmp_path


def fixture_path(event: str, name: str) -> Path:
    return next(path for e, n, path in all_payloads() if (e, n) == (event, name))


def test_serve_refuses_without_a_secret(env: Path) -> None:
    result = runner.invoke(app, ["serve"])
    assert result.exit_code == 2
    assert "WEBHOOK_SECRET is not set" in result.output
    assert "openssl rand" in result.output


def test_serve_reports_a_bad_setting(env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WEBHOOK_SECRET", "s")
    monkeypatch.setenv("PORT", "not-a-port")
    result = runner.invoke(app, ["serve"])
    assert result.exit_code == 2
    assert "PORT" in result.output


def test_replay_runs_the_http_path_and_journals(env: Path) -> None:
    result = runner.invoke(app, ["replay", "pull_request", str(fixture_path("pull_request", "opened.1")), "--json", "--delivery", "r-1"])
    assert result.exit_code == 0, result.output
    outcome = json.loads(result.output)
    assert outcome["status"] == 202 and outcome["state"] == "done"
    assert [s["kind"] for s in outcome["signals"]] == ["pull_request"]
    listed = runner.invoke(app, ["journal", "--json", "--limit", "10"])
    assert listed.exit_code == 0
    kinds = [(e["kind"], e["delivery_id"]) for e in json.loads(listed.output)]
    assert kinds == [("delivery.accepted", "r-1"), ("delivery.processed", "r-1")]


def test_replay_of_the_same_delivery_is_a_duplicate(env: Path) -> None:
    path = str(fixture_path("issue_comment", "created.1"))
    assert runner.invoke(app, ["replay", "issue_comment", path, "--delivery", "same"]).exit_code == 0
    again = runner.invoke(app, ["replay", "issue_comment", path, "--delivery", "same", "--json"])
    assert json.loads(again.output)["status"] == 200
    table = runner.invoke(app, ["journal"])
    assert "delivery.duplicate" in table.output


def test_replay_of_an_invalid_payload_fails_visibly(env: Path) -> None:
    bad = env / "bad.json"
    bad.write_text(json.dumps({"action": "created", "comment": {"id": "x"}, "issue": {}}))
    result = runner.invoke(app, ["replay", "issue_comment", str(bad), "--json"])
    assert result.exit_code == 1
    outcome = json.loads(result.output)
    assert outcome["state"] == "failed" and "schema" in outcome["error"]


@pytest.mark.parametrize(("content", "message"), [(None, "cannot read"), ("{nope", "is not JSON")])
def test_replay_bad_file(env: Path, content: str | None, message: str) -> None:
    path = env / "payload.json"
    if content is not None:
        path.write_text(content)
    result = runner.invoke(app, ["replay", "push", str(path)])
    assert result.exit_code == 2
    assert message in result.output


def make_store(url: str | None = None) -> None:
    import asyncio

    from bot.settings import load_settings
    from bot.store import Store

    async def create() -> None:
        await (await Store.open(url or load_settings().database_url)).close()

    asyncio.run(create())


def test_empty_journal_says_so(env: Path) -> None:
    make_store()
    result = runner.invoke(app, ["journal"])
    assert result.exit_code == 0
    assert "journal is empty" in result.output


def test_sandbox_is_mounted() -> None:
    result = runner.invoke(app, ["sandbox", "serve", "--help"])
    assert result.exit_code == 0
    assert "--root" in result.output


def test_worker_drains_what_serve_stored(env: Path) -> None:
    import asyncio

    import httpx

    from bot.settings import load_settings
    from tests.fixtures.webhooks import load_payload
    from tests.helpers.deliveries import post_event
    from webhooks.app import create_app

    async def accept() -> None:
        settings = load_settings(WEBHOOK_SECRET="It's a Secret to Everybody", EVOLVE_WORKERS=0)
        application = create_app(settings)
        async with application.router.lifespan_context(application):
            async with httpx.AsyncClient(transport=httpx.ASGITransport(app=application), base_url="http://t") as c:
                assert (await post_event(c, "issue_comment", load_payload("issue_comment", "created.1"), delivery="w-1")).status_code == 202

    asyncio.run(accept())
    result = runner.invoke(app, ["worker", "--drain"])
    assert result.exit_code == 0, result.output
    assert "processed 1 deliveries" in result.output
    listed = json.loads(runner.invoke(app, ["journal", "--json"]).stdout)
    assert [e["kind"] for e in listed] == ["delivery.accepted", "delivery.processed"]


def test_stats_on_an_empty_store_says_so(env: Path) -> None:
    make_store()
    result = runner.invoke(app, ["stats"])
    assert result.exit_code == 0
    assert "no" in result.output.lower() and "outcome" in result.output.lower()


def test_stats_counts_outcomes(env: Path) -> None:
    import asyncio
    import dataclasses
    import datetime as dt

    from bot import proposals as p
    from bot.settings import load_settings
    from bot.store import Store

    async def seed() -> None:
        store = await Store.open(load_settings().database_url)
        old = dt.datetime.now(dt.UTC) - dt.timedelta(days=30)
        for n, final in enumerate([p.MERGED, p.MERGED, p.CLOSED]):
            prop = p.new_proposal(kind="rewrite", repository="o/r", installation_id=1, title="t", rationale="r", spec={"n": n}, at=old)
            prop = dataclasses.replace(prop, confidence=0.7)
            for state in (p.PATCHING, p.PR_OPEN, p.TESTING, p.PASSED, final):
                prop = p.advance(prop, state, at=old, reason="closed by @maya" if state == p.CLOSED else state, pr_number=n + 1)
            await store.proposals.save(dataclasses.replace(prop, spec={**prop.spec, "closed_by_human": True}), message="seed")
        await store.close()

    asyncio.run(seed())
    result = runner.invoke(app, ["stats"])
    assert result.exit_code == 0, result.output
    assert "rewrite" in result.output
    assert "2" in result.output and "3" in result.output


def test_rules_lists_learned_rules_with_their_examples(env: Path) -> None:
    import asyncio

    from bot.rules import Example
    from bot.settings import load_settings
    from bot.store import Store

    async def seed() -> None:
        store = await Store.open(load_settings().database_url)
        for n, var in enumerate(("a", "b"), start=1):
            ex = Example(before=f"{var} == None", after=f"{var} is None", path=f"m{n}.py", language="python", source="suggestion", author="rev", pr=n, line=3)
            await store.learning.add_example("o/r", ex, origin=f"s:{n}")
        await store.close()

    make_store()
    assert "No review examples" in runner.invoke(app, ["rules", "--repo", "o/r"]).output
    asyncio.run(seed())
    result = runner.invoke(app, ["rules", "--repo", "o/r"])
    assert result.exit_code == 0, result.output
    assert "$A == None" in result.output and "kept" in result.output
    assert result.output.count("example:") == 2 and "not proposed yet" in result.output


@pytest.mark.parametrize("command", [["journal"], ["stats"], ["rules", "--repo", "o/r"]])
def test_read_only_commands_never_create_a_store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, command: list[str]) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("EVOLVE_DATABASE_URL", raising=False)
    result = runner.invoke(app, command)
    assert result.exit_code == 2
    assert "no store at .evolve/evolve.db" in result.output
    assert "EVOLVE_DATABASE_URL" in result.output and ".evolve/demo/bot/evolve.db" in result.output
    assert not (tmp_path / ".evolve").exists()
