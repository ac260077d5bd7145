"""The loop's latency: from a `/evolve rewrite` comment's webhook to its PR's `opened` webhook, and the demo's wall time.

Run: `python -m bench.loop [--runs 20]`. Everything runs on loopback: the sandbox (a local GitHub on
real git) and the bot's real HTTP server, as in `evolve-bot demo`. Times are read from the bot's own
store: when it received the comment's delivery and when it received the PR's `opened` delivery, so
they cover the webhook in, the bot's work (permission check, 👀, reading the tree, ast-grep, the
commit, the PR, labels, the check run) and the webhook out.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.results import write_section
from bot.store import Store
from webhooks.demo import Stage

REPO = "maya/bench"


def files(runs: int) -> dict[str, str]:
    code = "".join(f"def old_{i}(x):\n    return x\n\n\ndef new_{i}(x):\n    return x\n\n\n" for i in range(runs))
    calls = "".join(f"value_{i} = old_{i}({i})\n" for i in range(runs))
    return {
        "lib.py": code,
        "use.py": "from lib import *  # noqa: F403\n\n" + calls,
        ".github/evolve.yml": f"mode: confidence\nconfidence_threshold: 0.5\nmax_open_prs: {runs + 5}\n",
    }


async def latencies(runs: int) -> list[float]:
    with tempfile.TemporaryDirectory() as tmp:
        async with Stage(Path(tmp), workers=2, ci=False) as stage:
            sb = stage.sandbox
            sb.add_user("maya")
            await sb.create_repo(REPO, files=files(runs))
            await stage.install(account="maya", repos=[REPO])
            await sb.push(REPO, as_="maya", branch="notes", files={"NOTES.md": "x\n"})
            pull = await sb.open_pull_request(REPO, as_="maya", head="notes", title="notes")
            await stage.settle()
            for i in range(runs):
                await sb.comment(REPO, pull.number, as_="maya", body=f"/evolve rewrite old_{i}($X) -> new_{i}($X) in use.py")
                await stage.settle()
            return await measured(stage.store, pull.number)


async def measured(store: Store, command_pr: int) -> list[float]:
    deliveries = sorted(await store.deliveries.recent(limit=10_000), key=lambda d: d.seq)
    commands: dict[str, float] = {}
    opened: dict[int, float] = {}
    for d in deliveries:
        payload = d.delivery.payload()
        if d.delivery.event == "issue_comment" and payload["comment"]["body"].startswith("/evolve rewrite"):
            pattern = payload["comment"]["body"].split()[2]
            commands[pattern] = d.received_at.timestamp()
        elif d.delivery.event == "pull_request" and d.delivery.action == "opened" and payload["sender"]["type"] == "Bot":
            opened[payload["pull_request"]["number"]] = d.received_at.timestamp()
    result = []
    for p in await store.proposals.find(REPO):
        pattern = str(p.spec.get("pattern"))
        if p.pr_number in opened and pattern in commands:
            result.append(opened[p.pr_number] - commands[pattern])
    return result


def demo_wall_time() -> float:
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        done = subprocess.run([sys.executable, "-m", "webhooks", "demo", "--json"], cwd=tmp, capture_output=True, text=True, timeout=600)
    elapsed = time.perf_counter() - started
    story = json.loads(done.stdout)
    if not story["ok"]:
        raise RuntimeError(f"the demo failed: {story}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    times = asyncio.run(latencies(args.runs))
    if len(times) != args.runs:
        raise RuntimeError(f"measured {len(times)} of {args.runs} command → PR round trips")
    cuts = statistics.quantiles(times, n=20)
    p50, p95 = statistics.median(times) * 1000, cuts[18] * 1000
    wall = demo_wall_time()
    print(json.dumps({"p50_ms": p50, "p95_ms": p95, "demo_seconds": wall}))
    write_section(
        "loop",
        "## The loop: command to PR\n\n"
        f"Command: `python -m bench.loop --runs {args.runs}`. A maintainer's `/evolve rewrite` comment to the "
        "bot's PR `opened` webhook, both as received by the bot (its store's timestamps), sandbox CI off so "
        f"it does not compete for the 2 cores; {args.runs} rewrites, one at a time.\n\n"
        "| measure | value |\n|---|---|\n"
        f"| command → PR opened, p50 | {p50:.0f} ms |\n"
        f"| command → PR opened, p95 | {p95:.0f} ms |\n"
        f"| `evolve-bot demo` wall time (6 steps, real CI on every commit) | {wall:.1f} s |\n\n"
        "No peer runs here side by side: Dependabot, Renovate and Sweep only run against github.com, "
        "which this machine cannot reach.",
    )


if __name__ == "__main__":
    main()
