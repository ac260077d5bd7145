"""The `/evolve` commands: who may give them, and one handler per command in an explicit registry."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from bot import explanation as texts
from bot import proposals as lifecycle
from bot.commands import HELP_TEXT, UNAUTHORIZED_TEXT, Command, parse_commands
from bot.confidence import rule_id_of
from bot.llm import ENV_PROVIDER
from bot.loop import reverting
from bot.loop.context import Loop, Repo
from bot.loop.proposing import close_pr, decide, propose
from bot.proposals import Kind
from bot.rules import example_key, learn_rules
from bot.signals import CommentSignal

WRITE_PERMISSIONS = frozenset({"admin", "maintain", "write"})

RETRIED = "Reopened `{id}`; deciding again."
UNREADABLE = "I could not read that command."
RULE_RETIRED = "retired rule {rule_id} ({reason}), with the {examples} example(s) it was learned from"
RULE_UNRETIRED = "@{actor} brought rule {rule_id} back with /evolve retry on #{number} (it was retired: {reason})"

Handler = Callable[[Loop, Repo, CommentSignal, Command], Awaitable[None]]


async def on_comment(loop: Loop, s: CommentSignal) -> None:
    # Edited and deleted comments never trigger, nor does anything a bot wrote.
    if s.action != "created" or s.from_bot or s.installation_id is None:
        return
    commands = parse_commands(s.body, app_slug=loop.app_slug)
    if not commands:
        return
    command = commands[0]
    if await _already_handled(loop, s):
        return
    repo = await loop.repo(s.repository, s.installation_id)  # type: ignore[arg-type]
    permission = await repo.client.permission(s.actor or "ghost")
    await loop.note(
        "command.received",
        f"@{s.actor} ({permission}) asked `/evolve {command.name}` on #{s.number}",
        repository=repo.full_name,
        data={"command": command.name, "args": command.args, "comment_id": s.comment_id},
    )
    if permission not in WRITE_PERMISSIONS:
        await repo.client.comment(s.number, UNAUTHORIZED_TEXT)
        await loop.note("command.refused", f"@{s.actor} has {permission} access, not write", repository=repo.full_name)
        return
    await repo.client.react_to_comment(s.comment_id, "eyes")
    if repo.config_error is not None and command.name != "help":
        await repo.client.comment(s.number, texts.CONFIG_INVALID.format(error=repo.config_error))
        await loop.note("config.invalid", str(repo.config_error), repository=repo.full_name)
        return
    await HANDLERS.get(command.name, help_)(loop, repo, s, command)
    await loop.note("command.done", f"`/evolve {command.name}` handled", repository=repo.full_name)


async def _already_handled(loop: Loop, s: CommentSignal) -> bool:
    return any(e.kind == "command.done" for e in await loop.store.journal.entries(delivery_id=s.delivery_id, limit=50))


def _asked_by(s: CommentSignal) -> str:
    return f"@{s.actor} asked for it in #{s.number} ({s.html_url})."


def _origin(s: CommentSignal) -> dict[str, object]:
    return {"number": s.number, "comment_id": s.comment_id, "actor": s.actor}


async def help_(loop: Loop, repo: Repo, s: CommentSignal, command: Command) -> None:
    await repo.client.comment(s.number, HELP_TEXT)


async def invalid(loop: Loop, repo: Repo, s: CommentSignal, command: Command) -> None:
    await repo.client.comment(s.number, str(command.args.get("error", UNREADABLE)) + "\n\n" + HELP_TEXT)


async def instruction(loop: Loop, repo: Repo, s: CommentSignal, command: Command) -> None:
    if not loop.llm_env.get(ENV_PROVIDER):
        await repo.client.comment(s.number, texts.NO_LLM)
        await loop.note(
            "command.unsupported", "free-text instruction, but no LLM is configured", repository=repo.full_name
        )
        return
    text = str(command.args.get("instruction", "")).strip()
    first = text.splitlines()[0] if text else ""
    await propose(
        loop,
        repo,
        kind=Kind.INSTRUCTION,
        spec={"instruction": text, "issue": {"number": s.number}},
        title=f"evolve: {first[:70]}" + ("…" if len(first) > 70 else ""),
        rationale=_asked_by(s),
        signals=(s.delivery_id,),
        origin=_origin(s),
    )


async def rewrite(loop: Loop, repo: Repo, s: CommentSignal, command: Command) -> None:
    spec = {k: command.args.get(k) for k in ("pattern", "fix", "glob", "language")}
    await propose(
        loop,
        repo,
        kind=Kind.REWRITE,
        spec=spec,
        title=f"Rewrite `{spec['pattern']}` → `{spec['fix']}`",
        rationale=_asked_by(s),
        signals=(s.delivery_id,),
        origin=_origin(s),
    )


async def apply(loop: Loop, repo: Repo, s: CommentSignal, command: Command) -> None:
    waiting = await loop.waiting_on(repo, s.number)
    if not waiting:
        await repo.client.comment(s.number, texts.NOTHING_TO_APPLY)
        return
    await decide(loop, repo, waiting[0], approved_by=s.actor)


async def retry(loop: Loop, repo: Repo, s: CommentSignal, command: Command) -> None:
    target = await loop.store.proposals.for_pr(repo.full_name, s.number)
    if target is None:
        candidates = await loop.waiting_on(repo, s.number, states=(lifecycle.CLOSED, lifecycle.SKIPPED))
        target = candidates[0] if candidates else None
    if target is None or target.state not in (lifecycle.CLOSED, lifecycle.SKIPPED):
        await repo.client.comment(s.number, texts.NOTHING_TO_RETRY)
        return
    rule_id = rule_id_of(target)
    if target.kind == Kind.LEARNED_RULE and rule_id is not None:
        # Retry on the PR of an ignored rule takes back that "no": the rule may be proposed again.
        was = await loop.store.learning.unretire_rule(repo.full_name, rule_id)
        if was is not None:
            await loop.note(
                "rule.unretired",
                RULE_UNRETIRED.format(actor=s.actor, rule_id=rule_id, number=s.number, reason=was),
                repository=repo.full_name,
                proposal_id=target.id,
                data={"rule_id": rule_id, "retired_for": was},
            )
    target = await loop.advance(
        target,
        lifecycle.PROPOSED,
        reason=f"@{s.actor} said /evolve retry",
        message=f"@{s.actor} lifted the closed/skipped state with /evolve retry",
        kind="proposal.retried",
        retried=target.attempts + 1,
        attempts=target.attempts + 1,
    )
    await repo.client.comment(s.number, RETRIED.format(id=target.id))
    await decide(loop, repo, target)


async def ignore(loop: Loop, repo: Repo, s: CommentSignal, command: Command) -> None:
    target = await loop.store.proposals.for_pr(repo.full_name, s.number)
    if target is None:
        waiting = await loop.waiting_on(repo, s.number)
        target = waiting[0] if waiting else None
    if target is None or target.state in lifecycle.FINAL_STATES:
        await repo.client.comment(s.number, texts.NOT_A_BOT_PR.format(command="ignore"))
        return
    if target.kind == Kind.LEARNED_RULE and target.spec.get("rule_id"):
        rule_id = str(target.spec["rule_id"])
        # The examples the rule stands on, as the learner draws it now: a later learner may
        # draw another rule from them, which this "no" covers too.
        learned = learn_rules(await loop.store.learning.examples(repo.full_name), min_examples=repo.config.learn.min_examples)
        examples = next((r.examples for r in learned if r.id == rule_id), ())
        reason = f"@{s.actor} said /evolve ignore on #{s.number}"
        await loop.store.learning.retire_rule(repo.full_name, rule_id, reason=reason, examples=[example_key(e) for e in examples])
        await loop.note(
            "rule.retired",
            RULE_RETIRED.format(rule_id=rule_id, reason=reason, examples=len(examples)),
            repository=repo.full_name,
            proposal_id=target.id,
            data={"rule_id": rule_id, "examples": len(examples)},
        )
    if target.is_open and target.pr_number is not None:
        await close_pr(
            loop,
            repo,
            target,
            reason=f"@{s.actor} said /evolve ignore",
            comment=texts.IGNORED.format(id=target.id),
            human=True,
        )
    else:
        await loop.advance(
            target,
            lifecycle.SKIPPED,
            reason=f"@{s.actor} said /evolve ignore",
            message=f"@{s.actor} dropped it with /evolve ignore",
            ignored=True,
        )
        await repo.client.comment(s.number, texts.IGNORED.format(id=target.id))


async def why(loop: Loop, repo: Repo, s: CommentSignal, command: Command) -> None:
    target = await loop.store.proposals.for_pr(repo.full_name, s.number)
    if target is None:
        await repo.client.comment(s.number, texts.NOT_A_BOT_PR.format(command="why"))
        return
    entries = await loop.store.journal.entries(proposal_id=target.id, limit=200)
    await repo.client.comment(s.number, texts.why_chain(target, entries))


async def status(loop: Loop, repo: Repo, s: CommentSignal, command: Command) -> None:
    report = texts.status_report(
        await loop.store.proposals.find(repo.full_name, limit=10_000),
        mode=repo.config.mode,
        open_prs=await loop.store.proposals.open_pr_count(repo.full_name),
        max_open_prs=repo.config.max_open_prs,
    )
    await repo.client.comment(s.number, report)


async def revert(loop: Loop, repo: Repo, s: CommentSignal, command: Command) -> None:
    target = await loop.store.proposals.for_pr(repo.full_name, s.number)
    if target is None:
        await repo.client.comment(s.number, texts.NOT_A_BOT_PR.format(command="revert") + " It must be merged.")
        return
    if target.state != lifecycle.MERGED:
        if target.state == lifecycle.REVERTED:
            by = await reverting.reverted_by(loop, repo, target)
            why_not = texts.ALREADY_REVERTED.format(number=s.number, by=by)
        else:
            why_not = texts.NOT_MERGED.format(number=s.number)
        await reverting.nothing_to_revert(loop, repo, target, why=why_not)
        return
    await reverting.revert(
        loop, repo, target, reason=f"@{s.actor} asked for it with /evolve revert on #{s.number}.", asked=True
    )


# Every name `bot.commands.parse_commands` gives (COMMAND_NAMES) has its handler here.
HANDLERS: dict[str, Handler] = {
    "help": help_,
    "invalid": invalid,
    "instruction": instruction,
    "rewrite": rewrite,
    "apply": apply,
    "retry": retry,
    "ignore": ignore,
    "why": why,
    "status": status,
    "revert": revert,
}
