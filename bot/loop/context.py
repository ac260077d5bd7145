"""What every feature of the loop works in: the repository as read for one signal, and the loop's store, clock and transitions."""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import datetime as dt
import logging
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from bot import proposals as lifecycle
from bot.app_auth import GitHubApp
from bot.confidence import Outcome, confidence_for, outcome_of
from bot.config import BetaPrior, ConfigError, RepoConfig, parse_config
from bot.github import InstallationClient, RepoClient
from bot.playbook import Playbook
from bot.playbook import parse as parse_playbook
from bot.proposals import Evidence, Proposal
from bot.store import Store
from bot.strategies import CONFIG_PATH

log = logging.getLogger("evolve.autopilot")

OWN_CHECK = "evolve"  # the check run the bot writes on its own PRs (and never judges)

# Proposals waiting on the issue or PR they were asked on, for `/evolve apply` or `ignore`.
WAITING_STATES = (lifecycle.ASKED, lifecycle.SUGGESTED, lifecycle.HELD)

# The delivery being handled, set once per signal (see Autopilot.handle): every journal entry
# and saved step is filed under it. None in the sweep, and while a new proposal is decided
# (see `unfiled`).
DELIVERY: contextvars.ContextVar[str | None] = contextvars.ContextVar("delivery", default=None)

# The repositories read while handling the current signal (see Autopilot.handle).
_repos_read: contextvars.ContextVar[dict[str, Repo] | None] = contextvars.ContextVar("repos_read", default=None)


def now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@contextlib.contextmanager
def delivery(delivery_id: str | None) -> Iterator[None]:
    """File what happens inside under `delivery_id`; with a fresh read of each repository."""
    token = DELIVERY.set(delivery_id)
    repos = _repos_read.set({})
    try:
        yield
    finally:
        _repos_read.reset(repos)
        DELIVERY.reset(token)


def delivery_signals() -> tuple[str, ...]:
    """The delivery being handled, as the `signals` a new proposal came from."""
    current = DELIVERY.get()
    return (current,) if current else ()


@contextlib.contextmanager
def unfiled() -> Iterator[None]:
    """What a new proposal's first decision journals is filed under no delivery (as it always
    was: the delivery that asked for it is in the proposal's `signals`)."""
    token = DELIVERY.set(None)
    try:
        yield
    finally:
        DELIVERY.reset(token)


@dataclass
class Repo:
    """One repository while handling one signal: its client, default branch and config."""

    client: RepoClient
    full_name: str
    installation_id: int
    default_branch: str
    config: RepoConfig
    has_config: bool
    config_error: ConfigError | None
    # What the installation's token may do (`{"contents": "write", ...}`), as GitHub granted it.
    permissions: Mapping[str, str] = field(default_factory=dict)


class RepoFiles:
    """The default branch's files, as a patch strategy reads them."""

    def __init__(self, client: RepoClient, ref: str) -> None:
        self.client = client
        self.ref = ref

    async def paths(self) -> list[str]:
        tree = await self.client.tree(self.ref)
        return sorted(tree.blobs())

    async def read(self, paths: list[str]) -> dict[str, str | None]:
        found = await self.client.read_files(paths, ref=self.ref)
        return {path: (f.text if f is not None else None) for path, f in found.items()}


class Loop:
    """The loop's shared edge: GitHub installations, the store, one clock, the operator's model
    settings, and the one way a proposal moves (`advance`: stamped, saved with the version
    check, and journaled together)."""

    def __init__(
        self,
        *,
        app: GitHubApp,
        store: Store,
        app_slug: str,
        clock: Callable[[], dt.datetime] = now,
        llm_env: Mapping[str, str] | None = None,
    ) -> None:
        self.app = app
        self.store = store
        self.app_slug = app_slug
        self.clock = clock
        # The operator's model settings (EVOLVE_LLM_*, the provider's key), read per proposal so
        # a repository's `llm:` section can narrow them; without a provider, free text is refused.
        self.llm_env: Mapping[str, str] = dict(llm_env or {})
        self._installations: dict[int, InstallationClient] = {}
        self._repo_locks: dict[str, asyncio.Lock] = {}

    # -- repositories -------------------------------------------------------------------------

    def repo_lock(self, full_name: str) -> asyncio.Lock:
        """One repository's proposals are worked on by one task at a time in this process.

        The store orders deliveries per repository, but an installation event (ordered per
        installation) and the sweep act on a repository's proposals too; without the lock they
        race the repository's own deliveries and lose with StaleProposal.
        """
        return self._repo_locks.setdefault(full_name.lower(), asyncio.Lock())

    def installation(self, installation_id: int) -> InstallationClient:
        client = self._installations.get(installation_id)
        if client is None:
            client = self._installations[installation_id] = InstallationClient(self.app, installation_id)
        return client

    async def repo(self, full_name: str, installation_id: int) -> Repo:
        """The repository's client, default branch and config, read once per signal: one
        signal's steps run one after another, so re-reading would only cost API calls."""
        seen = _repos_read.get()
        key = f"{installation_id}:{full_name.lower()}"
        if seen is not None and key in seen:
            return seen[key]
        found = await self._read_repo(full_name, installation_id)
        if seen is not None:
            seen[key] = found
        return found

    async def _read_repo(self, full_name: str, installation_id: int) -> Repo:
        owner, name = full_name.split("/", 1)
        client = self.installation(installation_id).repo(owner, name)
        info = await client.repository()
        text = await client.read_file(CONFIG_PATH, ref=info.default_branch)
        config, error = RepoConfig(), None
        if text is not None:
            try:
                config = parse_config(text.text or "")
            except ConfigError as exc:
                error = exc
        client.bot_branch_prefix = config.branch_prefix
        token = await self.app.installation_token(installation_id)
        return Repo(
            client=client,
            full_name=full_name,
            installation_id=installation_id,
            default_branch=info.default_branch,
            config=config,
            has_config=text is not None,
            config_error=error,
            permissions=token.permissions,
        )

    # -- what the repository has taught --------------------------------------------------------

    async def outcomes(self, repo: Repo) -> list[Outcome]:
        """What became of this repository's proposals: the learner's evidence."""
        at = self.clock()
        found = []
        for p in await self.store.proposals.find(repo.full_name, limit=10_000):
            outcome = outcome_of(
                p,
                now=at,
                settle_days=repo.config.learn.settle_days,
                thumbs_down=p.thumbs_down,
                thumbs_up=p.thumbs_up,
            )
            if outcome is not None:
                found.append(outcome)
        return found

    def confidence(
        self, repo: Repo, kind: str, *, rule_id: str | None = None, outcomes: Sequence[Outcome] = ()
    ) -> tuple[float, Evidence]:
        """The posterior mean for `kind` (and learned rule) from the configured prior and outcomes."""
        prior = repo.config.priors[kind] if repo.config.priors.get(kind) is not None else BetaPrior(alpha=2, beta=2)
        return confidence_for(kind, rule_id, prior=prior, outcomes=outcomes, repository=repo.full_name)

    async def playbook(self, repo: Repo) -> Playbook:
        """The repository's playbook as last saved (empty until lessons are learned)."""
        saved = await self.store.learning.playbook_text(repo.full_name)
        if saved is None:
            return Playbook()
        try:
            return parse_playbook(saved[0])
        except ValueError as exc:
            log.warning("stored playbook of %s does not parse: %s", repo.full_name, exc)
            return Playbook()

    async def waiting_on(
        self, repo: Repo, number: int, *, states: Sequence[str] = WAITING_STATES
    ) -> list[Proposal]:
        """The proposals asked for on issue or PR `number` that are in one of `states`, newest first."""
        return [p for p in await self.store.proposals.find(repo.full_name, states=list(states)) if p.origin.get("number") == number]

    # -- the store: every step stamped by one clock, filed under the delivery ------------------

    async def advance(
        self,
        proposal: Proposal,
        to: str,
        *,
        reason: str,
        message: str,
        kind: str | None = None,
        data: dict[str, Any] | None = None,
        **changes: Any,
    ) -> Proposal:
        """Move `proposal` to `to` (with `changes`), save it against its version, and journal it."""
        at = self.clock()
        moved = lifecycle.advance(proposal, to, at=at, reason=reason, **changes)
        return await self.save(moved, message=message, kind=kind, data=data, at=at)

    async def save(
        self,
        proposal: Proposal,
        *,
        message: str,
        kind: str | None = None,
        data: dict[str, Any] | None = None,
        at: dt.datetime | None = None,
    ) -> Proposal:
        """Save `proposal` as it is (a new one, or a flag set without a move), and journal it."""
        return await self.store.proposals.save(
            proposal, message=message, kind=kind, delivery_id=DELIVERY.get(), data=data, at=at or self.clock()
        )

    async def note(
        self,
        kind: str,
        message: str,
        *,
        repository: str,
        proposal_id: str | None = None,
        data: dict[str, Any] | None = None,
    ) -> None:
        """One journal entry that moves no proposal."""
        await self.store.journal.record(
            kind,
            message,
            delivery_id=DELIVERY.get(),
            repository=repository,
            proposal_id=proposal_id,
            data=data,
            at=self.clock(),
        )
