"""Installation: a repository without a config is offered one, and until then the bot only acts on commands."""

from __future__ import annotations

from bot.loop.context import Loop
from bot.loop.proposing import propose
from bot.proposals import Kind
from bot.signals import InstallationSignal
from bot.strategies import CONFIG_PATH

TITLE = "Configure evolve-bot"
RATIONALE = "@{actor} installed evolve-bot on {repository}; until a config exists I only act on explicit commands."


async def on_installation(loop: Loop, s: InstallationSignal) -> None:
    if s.action not in ("created", "added") or s.installation_id is None:
        return
    for full_name in s.added:
        async with loop.repo_lock(full_name):
            repo = await loop.repo(full_name, s.installation_id)
            if repo.has_config:
                continue
            await propose(
                loop,
                repo,
                kind=Kind.ONBOARDING,
                spec={"config": CONFIG_PATH},
                title=TITLE,
                rationale=RATIONALE.format(actor=s.actor, repository=full_name),
                signals=(s.delivery_id,),
            )
