"""The GitHub world: a served sandbox with alice/demo, the App installed on it, and our client for it."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

from bot.app_auth import AppCredentials, GitHubApp
from bot.github import RepoClient
from bot.github_retry import RetryPolicy
from bot.sandbox.model import Installation
from bot.sandbox.sandbox import Sandbox

TOKEN_ENDPOINT = "POST /app/installations/{installation_id}/access_tokens"
FILES = {
    "README.md": "# demo\n",
    "src/app.py": "def main():\n    return 1\n",
    "docs/guide.md": "guide\n",
}


@dataclass
class GitHubWorld:
    """A served sandbox with alice/demo, the App installed on it, and our client for it."""

    sandbox: Sandbox
    installation: Installation
    app: GitHubApp
    repo: RepoClient
    base_url: str
    waits: Waits

    @property
    def sleeps(self) -> list[float]:
        return self.waits.seen

    def calls(self, *, since: int = 0, tokens: bool = False) -> list[str]:
        """Endpoints the sandbox answered after record `since`; token requests left out."""
        return [
            r.endpoint
            for r in self.sandbox.requests.records[since:]
            if tokens or r.endpoint != TOKEN_ENDPOINT
        ]

    async def file(self, ref: str, path: str) -> bytes | None:
        git = self.sandbox.repo("alice/demo").git
        return await git.read_file(await git.resolve(ref) or ref, path)


@dataclass
class Waits:
    """The policy's sleeps: recorded, and really waited only up to `cap` seconds."""

    seen: list[float] = field(default_factory=list)
    cap: float = 0.02

    async def sleep(self, seconds: float) -> None:
        self.seen.append(seconds)
        await asyncio.sleep(min(seconds, self.cap))


def make_app(sandbox_app: Any, base_url: str, waits: Waits, **kwargs: Any) -> GitHubApp:
    credentials = AppCredentials.from_pem(sandbox_app.id, private_key=sandbox_app.private_key_pem)
    policy = RetryPolicy(sleep=waits.sleep, backoff_initial=0.01, backoff_max=0.1)
    return GitHubApp(credentials, base_url=base_url, policy=policy, **kwargs)
