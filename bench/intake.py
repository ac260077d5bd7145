"""Intake throughput: signed deliveries per second and time to 202, against a verify-only peer.

Run: `python -m bench.intake [--requests N]`. Both servers run as separate uvicorn processes on
loopback; the load comes from this process over real HTTP with 10 and 50 connections.

- evolve-bot: `evolve-bot serve` as shipped (SQLite store, commit before 202, 4 workers).
- peer: the same signature check and 202 with nothing stored — the floor that durability costs
  against, so the ratio shows what committing every delivery first costs.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import httpx
from githubkit.webhooks import sign

from bench.results import write_section

SECRET = "bench-secret"
ROOT = Path(__file__).resolve().parents[1]
PAYLOAD = ROOT / "tests/fixtures/webhooks/issue_comment/created.1.json"

PEER_APP = '''
from githubkit.webhooks import verify
from starlette.applications import Starlette
from starlette.responses import JSONResponse
from starlette.routing import Route

async def hook(request):
    body = await request.body()
    if not verify("bench-secret", body, request.headers.get("x-hub-signature-256", "")):
        return JSONResponse({"message": "bad signature"}, status_code=401)
    return JSONResponse({"message": "accepted"}, status_code=202)

app = Starlette(routes=[Route("/api/github/webhooks", hook, methods=["POST"]),
                        Route("/healthz", lambda r: JSONResponse({"status": "ok"}))])
'''


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start(command: list[str], *, cwd: Path, env: dict[str, str], port: int) -> subprocess.Popen[bytes]:
    process = subprocess.Popen(command, cwd=cwd, env={**os.environ, **env}, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return process
        except httpx.HTTPError:
            time.sleep(0.1)
    process.kill()
    raise RuntimeError(f"{command} did not start")


async def load(url: str, *, connections: int, requests: int) -> dict[str, float]:
    body = PAYLOAD.read_bytes()
    signature = sign(SECRET, body)
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    queue: asyncio.Queue[int] = asyncio.Queue()
    for i in range(requests):
        queue.put_nowait(i)
    limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)
    async with httpx.AsyncClient(base_url=url, limits=limits, timeout=60) as client:

        async def worker() -> None:
            while True:
                try:
                    queue.get_nowait()
                except asyncio.QueueEmpty:
                    return
                headers = {
                    "Content-Type": "application/json",
                    "X-GitHub-Event": "issue_comment",
                    "X-GitHub-Delivery": str(uuid.uuid4()),
                    "X-Hub-Signature-256": signature,
                }
                started = time.perf_counter()
                response = await client.post("/api/github/webhooks", content=body, headers=headers)
                latencies.append(time.perf_counter() - started)
                statuses[response.status_code] = statuses.get(response.status_code, 0) + 1

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(connections)))
        elapsed = time.perf_counter() - started
    if set(statuses) != {202}:
        raise RuntimeError(f"unexpected answers: {statuses}")
    cuts = statistics.quantiles(latencies, n=100)
    return {"rps": requests / elapsed, "p50": cuts[49] * 1000, "p99": cuts[98] * 1000}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=2000, help="requests per run (default 2000)")
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        (work / "peer.py").write_text(PEER_APP)
        ours_port, peer_port = free_port(), free_port()
        ours = start(
            [sys.executable, "-m", "webhooks", "serve", "--host", "127.0.0.1", "--port", str(ours_port)],
            cwd=work,
            env={"WEBHOOK_SECRET": SECRET, "LOG_LEVEL": "warning", "EVOLVE_DATABASE_URL": f"sqlite+aiosqlite:///{work}/bench.db"},
            port=ours_port,
        )
        peer = start(
            [sys.executable, "-m", "uvicorn", "peer:app", "--host", "127.0.0.1", "--port", str(peer_port), "--log-level", "warning"],
            cwd=work,
            env={"PYTHONPATH": str(work)},
            port=peer_port,
        )
        try:
            for connections in (10, 50):
                # Interleave the two servers so drift on the machine hits both alike.
                ours_r = asyncio.run(load(f"http://127.0.0.1:{ours_port}", connections=connections, requests=args.requests))
                peer_r = asyncio.run(load(f"http://127.0.0.1:{peer_port}", connections=connections, requests=args.requests))
                rows.append((connections, ours_r, peer_r))
                print(json.dumps({"connections": connections, "evolve-bot": ours_r, "peer": peer_r}))
        finally:
            ours.terminate()
            peer.terminate()
            ours.wait(10)
            peer.wait(10)
    table = [
        "| connections | evolve-bot deliveries/s | p50 ms | p99 ms | peer (verify only) deliveries/s | p50 ms | p99 ms | throughput ratio ours/peer |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for connections, o, p in rows:
        table.append(
            f"| {connections} | {o['rps']:.0f} | {o['p50']:.1f} | {o['p99']:.1f} | {p['rps']:.0f} | {p['p50']:.1f} | {p['p99']:.1f} | {o['rps'] / p['rps']:.2f} |"
        )
    write_section(
        "intake",
        "## Intake: signed deliveries to 202\n\n"
        f"Command: `python -m bench.intake --requests {args.requests}` — {args.requests} signed `issue_comment` "
        "deliveries (2.9 kB) per run over loopback HTTP/1.1 keep-alive from one httpx client process; "
        "evolve-bot commits each delivery to SQLite (WAL) before its 202, with 4 workers processing in "
        "the same process; the peer verifies the signature and answers 202 storing nothing. Load "
        "generator and servers share the machine's cores.\n\n" + "\n".join(table),
    )


if __name__ == "__main__":
    main()
