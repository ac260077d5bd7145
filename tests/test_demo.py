"""`evolve-bot demo` plays every beat of the story, as a user runs it, and says so in JSON."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path


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
