"""`evolve-bot sandbox serve` runs the sandbox standalone and prints where it listens."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from bot.sandbox.cli import run
from webhooks.cli import sandbox_app


def test_help_names_the_options() -> None:
    result = CliRunner().invoke(sandbox_app, ["serve", "--help"])
    assert result.exit_code == 0
    for option in ("--host", "--port", "--root"):
        assert option in result.output


async def test_run_serves_until_cancelled(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    ready = asyncio.Event()
    task = asyncio.create_task(run(host="127.0.0.1", port=0, root=tmp_path, ready=ready))
    await asyncio.wait_for(ready.wait(), 10)
    banner = capsys.readouterr().out
    url = re.search(r"EVOLVE_GITHUB_API_URL=(\S+)\)", banner)
    assert url, banner
    async with httpx.AsyncClient(base_url=url.group(1)) as http:
        assert (await http.get("/_sandbox")).status_code == 200
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
