"""API calls and time to open an evolution PR, and how soon its `pull_request.opened` webhook lands.

Run from the repo root: `python -m bench.api_calls`. Everything runs against the sandbox on
127.0.0.1: calls are counted from its request log, the webhook arrives at a local receiver.
Side by side, a blob-per-file client (the usual naive way: one `POST git/blobs` per file)
opens the same PRs, so the ratios show what inline tree contents save.
"""

from __future__ import annotations

import asyncio
import json
import socket
import statistics
import tempfile
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import uvicorn

from bench.results import write_section
from bot.app_auth import REST_API_VERSION, AppCredentials, GitHubApp
from bot.github import FileChange, InstallationClient, RepoClient
from bot.sandbox.sandbox import Sandbox

SIZES = (1, 10, 100)
WEBHOOK_RUNS = 20
TOKEN_ENDPOINT = "POST /app/installations/{installation_id}/access_tokens"


class WebhookReceiver:
    """A bare ASGI app on 127.0.0.1 noting when each `pull_request.opened` arrives."""

    def __init__(self) -> None:
        self.opened: dict[int, float] = {}
        self.arrived = asyncio.Event()

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        headers = dict(scope["headers"])
        if headers.get(b"x-github-event") == b"pull_request":
            payload = json.loads(body)
            if payload.get("action") == "opened":
                self.opened[payload["number"]] = time.perf_counter()
                self.arrived.set()
        await send({"type": "http.response.start", "status": 202, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    async def wait_for(self, number: int, timeout: float = 10.0) -> float:
        deadline = time.perf_counter() + timeout
        while number not in self.opened:
            self.arrived.clear()
            await asyncio.wait_for(self.arrived.wait(), max(0.0, deadline - time.perf_counter()))
        return self.opened[number]


@asynccontextmanager
async def serve_receiver(receiver: WebhookReceiver) -> AsyncIterator[str]:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(64)
    sock.setblocking(False)
    config = uvicorn.Config(receiver, lifespan="off", log_level="warning", access_log=False)
    server = uvicorn.Server(config)
    task = asyncio.get_running_loop().create_task(server.serve(sockets=[sock]))
    while not server.started:
        await asyncio.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}/webhooks"
    finally:
        server.should_exit = True
        await task
        sock.close()


def changes_for(n: int, tag: str) -> list[FileChange]:
    """`n` changed files: mostly new ones, plus an edit and a deletion once there are enough."""
    changes = [FileChange(f"gen/{tag}/file_{i:03}.py", f"VALUE = {i}\n") for i in range(n)]
    if n >= 10:
        changes[-2:] = [
            FileChange("README.md", f"# demo {tag}\n"),
            FileChange.delete(f"old/{tag}.txt"),
        ]
    return changes


async def open_pr_ours(repo: RepoClient, n: int, tag: str) -> int:
    branch = f"evolve/{tag}"
    await repo.create_branch(
        branch, base="main", changes=changes_for(n, tag), message=f"Evolve {tag}"
    )
    pull = await repo.open_pull_request(head=branch, base="main", title=f"Evolve {tag}")
    return pull.number


async def open_pr_blob_per_file(repo: RepoClient, n: int, tag: str) -> int:
    """The naive way: a blob per file, then tree (by sha), commit, ref, PR."""
    rest = repo.installation.gh.rest(REST_API_VERSION)
    owner, name = repo.owner, repo.name
    head = (await rest.git.async_get_ref(owner, name, "heads%2Fmain")).json()["object"]["sha"]
    base_tree = (await rest.git.async_get_commit(owner, name, head)).json()["tree"]["sha"]
    items: list[dict[str, Any]] = []
    for change in changes_for(n, tag):
        if change.content is None:
            items.append({"path": change.path, "mode": "100644", "type": "blob", "sha": None})
            continue
        blob = await rest.git.async_create_blob(
            owner, name, data={"content": str(change.content), "encoding": "utf-8"}
        )
        items.append(
            {"path": change.path, "mode": "100644", "type": "blob", "sha": blob.json()["sha"]}
        )
    tree = await rest.git.async_create_tree(
        owner, name, data={"base_tree": base_tree, "tree": items}
    )
    commit = await rest.git.async_create_commit(
        owner,
        name,
        data={"message": f"Evolve {tag}", "tree": tree.json()["sha"], "parents": [head]},
    )
    branch = f"naive/{tag}"
    await rest.git.async_create_ref(
        owner, name, data={"ref": f"refs/heads/{branch}", "sha": commit.json()["sha"]}
    )
    pull = await rest.pulls.async_create(
        owner, name, data={"title": f"Naive {tag}", "head": branch, "base": "main"}
    )
    return int(pull.json()["number"])


async def measure() -> str:
    with tempfile.TemporaryDirectory() as root:
        receiver = WebhookReceiver()
        async with (
            Sandbox(root=Path(root), ci=False) as sandbox,
            serve_receiver(receiver) as hook_url,
        ):
            sandbox_app = sandbox.register_app(
                slug="evolve-bot", webhook_url=hook_url, webhook_secret="bench"
            )
            files = {
                "README.md": "# demo\n",
                **{f"old/s{n}-{r}.txt": "old\n" for n in SIZES for r in ("ours", "naive")},
            }
            files |= {f"old/hook{i}.txt": "old\n" for i in range(WEBHOOK_RUNS)}
            await sandbox.create_repo("alice/demo", files=files, ci_command=None)
            installation = await sandbox.install(sandbox_app, account="alice", repos=["alice/demo"])
            async with sandbox.serve() as base_url:
                credentials = AppCredentials.from_pem(
                    sandbox_app.id, private_key=sandbox_app.private_key_pem
                )
                app = GitHubApp(credentials, base_url=base_url)
                repo = InstallationClient(app, installation.id).repo("alice", "demo")
                await app.installation_token(installation.id)

                # Warm both paths up (connections, git objects) so the first row is not an outlier.
                await open_pr_ours(repo, 1, "warm-ours")
                await open_pr_blob_per_file(repo, 1, "warm-naive")
                rows = []
                for n in SIZES:
                    counts, seconds = {}, {}
                    for label, opener in (("ours", open_pr_ours), ("naive", open_pr_blob_per_file)):
                        start = len(sandbox.requests.records)
                        began = time.perf_counter()
                        await opener(repo, n, f"s{n}-{label}")
                        seconds[label] = time.perf_counter() - began
                        counts[label] = sum(
                            1
                            for r in sandbox.requests.records[start:]
                            if r.endpoint != TOKEN_ENDPOINT
                        )
                    ours, naive = counts["ours"], counts["naive"]
                    ms_ours, ms_naive = seconds["ours"] * 1000, seconds["naive"] * 1000
                    rows.append(
                        f"| {n} | {ours} | {naive} | {naive / ours:.1f}× "
                        f"| {ms_ours:.0f} | {ms_naive:.0f} | {ms_naive / ms_ours:.1f}× |"
                    )

                await sandbox.wait_deliveries()
                latencies = []
                for i in range(WEBHOOK_RUNS):
                    branch = f"evolve/hook{i}"
                    await repo.create_branch(
                        branch, base="main", changes=changes_for(1, f"hook{i}"), message="m"
                    )
                    began = time.perf_counter()
                    pull = await repo.open_pull_request(head=branch, base="main", title=f"hook {i}")
                    arrived = await receiver.wait_for(pull.number)
                    latencies.append((arrived - began) * 1000)
    latencies.sort()
    p95 = latencies[max(0, round(0.95 * len(latencies)) - 1)]
    return "\n".join(
        [
            "## API calls to open an evolution PR",
            "",
            "Branch + one commit + PR, counted in the sandbox's request log after the "
            "installation token (one token request per hour is extra). *Ours*: get ref, get "
            "tree, create tree with inline contents, create commit, create ref, open PR. "
            "*Blob per file*: the common naive client, one `POST git/blobs` per file. Wall "
            "times are on loopback against the sandbox.",
            "",
            "| changed files | calls, ours | calls, blob per file | ratio "
            "| ms, ours | ms, blob per file | ratio |",
            "|---:|---:|---:|---:|---:|---:|---:|",
            *rows,
            "",
            f"## `pull_request.opened` webhook latency ({WEBHOOK_RUNS} PRs)",
            "",
            "From calling `open_pull_request` to the delivery arriving at a local receiver "
            "(sandbox webhook sender, loopback):",
            "",
            f"median {statistics.median(latencies):.1f} ms, p95 {p95:.1f} ms, "
            f"min {latencies[0]:.1f} ms, max {latencies[-1]:.1f} ms.",
        ]
    )


def main() -> None:
    body = asyncio.run(measure())
    write_section("api_calls", body)
    print(body)


if __name__ == "__main__":
    main()
