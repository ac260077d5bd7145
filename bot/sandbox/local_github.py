"""The sandbox's GitHub: every resource's operations composed on one shared state."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from bot.sandbox.accounts import Accounts
from bot.sandbox.apps import Apps
from bot.sandbox.checks import Checks
from bot.sandbox.issues import Issues
from bot.sandbox.pulls import Pulls
from bot.sandbox.repositories import Repositories


class LocalGitHub(Accounts, Apps, Repositories, Pulls, Issues, Checks):
    """A local GitHub: real git repositories under `root`, everything else in memory.

    Each base is one resource (its own module); they share SandboxState and call each other's
    operations on `self`, as GitHub's own reactions chain: a merge is a push, a push runs CI, CI
    settling a suite may merge a pull request waiting on auto-merge. The HTTP layer (server,
    rest, graphql, control) serves a LocalGitHub; `Sandbox` is one you can serve.
    """

    def __init__(
        self,
        root: Path | str,
        *,
        token_ttl: dt.timedelta = dt.timedelta(hours=1),
        ci: bool = True,
        ci_timeout: float = 120.0,
    ) -> None:
        super().__init__(root, token_ttl=token_ttl, ci=ci, ci_timeout=ci_timeout)
        self._ci_app = self.register_app(slug="sandbox-ci", name="Sandbox CI", permissions={"checks": "write"}, events=[])
