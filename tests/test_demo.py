"""`evolve-bot demo` plays every beat of the story, as a user runs it, and says so in JSON."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest


def test_demo_plays_every_step(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "webhooks", "demo", "--json", "--root", str(tmp_path / "demo")],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    story = json.loads(result.stdout)
    assert story["ok"] is True
    names = [s["name"] for s in story["steps"]]
    assert len(names) == 6
    assert all(s["ok"] for s in story["steps"]), story["steps"]
    details = " ".join(s["detail"] for s in story["steps"])
    for evidence in ("onboarding PR #1", "real CI passed", "before/after", "revert #", "read access", "/evolve why"):
        assert evidence in details
    # The sandbox's repositories are real git repositories: the revert is on main.
    assert (tmp_path / "demo" / "github").is_dir()


@pytest.fixture(scope="module")
def played(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """The demo as a person runs it: no options, in a folder of their own, then its words read."""
    where = tmp_path_factory.mktemp("demo-as-run")
    env = {k: v for k, v in os.environ.items() if k != "EVOLVE_DATABASE_URL"}
    result = subprocess.run(
        [sys.executable, "-m", "webhooks", "demo"], check=False, capture_output=True, text=True, timeout=300, cwd=where, env={**env, "COLUMNS": "200"}
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return where, result.stdout


def test_demo_keeps_its_store_and_says_how_to_read_it(played: tuple[Path, str]) -> None:
    where, output = played
    assert (where / ".evolve" / "demo" / "bot" / "evolve.db").is_file()
    told = re.search(r"export EVOLVE_DATABASE_URL=(\S+)", output)
    assert told, output[-2000:]
    env = {**os.environ, "EVOLVE_DATABASE_URL": told.group(1), "COLUMNS": "200"}
    for command, evidence in ((["journal"], "maya/ledger"), (["stats"], "rewrite"), (["rules", "--repo", "maya/ledger"], "")):
        shown = subprocess.run([sys.executable, "-m", "webhooks", *command], check=False, capture_output=True, text=True, timeout=60, cwd=where, env=env)
        assert shown.returncode == 0, shown.stderr
        assert evidence in shown.stdout
    assert "no store" not in shown.stdout + shown.stderr
    # Without the demo's URL, a read-only command says where the demo's store is, and creates nothing.
    bare = {k: v for k, v in os.environ.items() if k != "EVOLVE_DATABASE_URL"}
    missing = subprocess.run([sys.executable, "-m", "webhooks", "journal"], check=False, capture_output=True, text=True, timeout=60, cwd=where, env=bare)
    assert missing.returncode == 2 and ".evolve/demo/bot/evolve.db" in missing.stderr
    assert not (where / ".evolve" / "evolve.db").exists()


def test_demo_shows_progress_during_its_first_step(played: tuple[Path, str]) -> None:
    _, output = played
    lines = output.splitlines()
    first = next(i for i, line in enumerate(lines) if "The app is installed" in line)
    done = next(i for i, line in enumerate(lines) if i > first and "✓" in line)
    progress = [line for line in lines[first + 1 : done] if line.strip().startswith("·")]
    assert len(progress) >= 3, "\n".join(lines[first : done + 1])
    assert any("CI" in line for line in progress)


def test_demo_breaks_main_by_the_rename_alone_and_counts_no_broken_base(played: tuple[Path, str]) -> None:
    where, _ = played
    git = where / ".evolve" / "demo" / "github" / "repos" / "maya" / "ledger.git"
    ledger = subprocess.run(["git", f"--git-dir={git}", "show", "main:ledger.py"], check=True, capture_output=True, text=True).stdout
    # The contributor renamed total() on top of main: the merged rewrite (`is None`) still stands.
    assert "def grand_total(" in ledger and "entry is None" in ledger and "== None" not in ledger
    env = {**os.environ, "EVOLVE_DATABASE_URL": f"sqlite+aiosqlite:///{where / '.evolve/demo/bot/evolve.db'}", "COLUMNS": "200"}
    stats = subprocess.run([sys.executable, "-m", "webhooks", "stats"], check=True, capture_output=True, text=True, cwd=where, env=env).stdout
    assert "learned_rule" not in stats and "failed CI" not in stats, stats
