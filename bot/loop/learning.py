"""Learning from people: examples from applied review suggestions and merged rewrites, rules from examples, the playbook from outcomes."""

from __future__ import annotations

import logging

from bot import deciding
from bot.loop.context import OWN_CHECK, Loop, Repo, RepoFiles, delivery_signals
from bot.loop.proposing import propose
from bot.playbook import PLAYBOOK_PATH, curate, reflect
from bot.playbook import parse as parse_playbook
from bot.playbook import render as render_playbook
from bot.proposals import Kind, Proposal
from bot.rules import (
    REWRITE_COMMAND,
    Example,
    edit_regions,
    example_from_commit,
    example_from_suggestion,
    find_sites,
    language_for,
    learn_rules,
    retirement,
    surroundings_of,
)
from bot.signals import PullRequestSignal, PushSignal, ReviewCommentSignal
from bot.strategies import CONFIG_PATH

log = logging.getLogger("evolve.autopilot")

PLAYBOOK_TITLE = "Update the evolve-bot playbook"
PLAYBOOK_RATIONALE = "What I learned from this repository's outcomes changed: "
RULE_LEFT_ALONE = "learned rule {rule_id} applies only in files off limits by the path rules ({paths}): nothing to propose"
CONFIG_INVALID_TITLE = "{path} is invalid: I do nothing here until it is fixed"


# -- examples and rules ----------------------------------------------------------------------


async def learn_from_pr(loop: Loop, s: PullRequestSignal) -> int:
    """Store the review suggestions a PR's head now shows applied, then learn; returns how many
    new examples were found."""
    assert s.repository is not None and s.installation_id is not None
    commented = [
        c
        for c in await loop.store.deliveries.signals(repository=s.repository, limit=10_000)
        if isinstance(c, ReviewCommentSignal) and c.number == s.number and not c.from_bot and c.line is not None
    ]
    suggested = [c for c in commented if c.suggestions]
    if not commented:
        return 0
    repo = await loop.repo(s.repository, s.installation_id)
    added = 0
    for comment in suggested:
        for i, suggestion in enumerate(comment.suggestions):
            old = await repo.client.read_file(suggestion.path, ref=comment.commit_id)
            new = await repo.client.read_file(suggestion.path, ref=s.head_sha)
            if old is None or new is None or old.text is None or new.text is None:
                continue
            derived = example_from_suggestion(suggestion, old_text=old.text, new_text=new.text, author=comment.actor, pr=s.number)
            if derived.example is None:
                continue
            if await loop.store.learning.add_example(repo.full_name, derived.example, origin=f"suggestion:{comment.comment_id}:{i}"):
                added += 1
                await loop.note(
                    "learn.example",
                    f"@{comment.actor}'s suggestion on #{s.number} ({suggestion.path}:{suggestion.start_line}) was applied",
                    repository=repo.full_name,
                    data={"before": derived.example.before, "after": derived.example.after},
                )
    for comment in commented:
        if comment.suggestions or comment.line is None:
            continue
        # A plain review comment on lines the author then changed: the change answers it.
        old = await repo.client.read_file(comment.path, ref=comment.commit_id)
        new = await repo.client.read_file(comment.path, ref=s.head_sha)
        if old is None or new is None or old.text == new.text:
            continue
        derived = example_from_commit(
            path=comment.path, old_text=old.text, new_text=new.text, start_line=comment.start_line or comment.line,
            end_line=comment.line, author=s.actor, pr=s.number,
        )  # fmt: skip
        if derived.example is not None and await loop.store.learning.add_example(
            repo.full_name, derived.example, origin=f"commit:{comment.comment_id}:{s.head_sha}"
        ):
            added += 1
            await loop.note(
                "learn.example",
                f"@{s.actor} changed {comment.path}:{comment.line} after @{comment.actor}'s review comment on #{s.number}",
                repository=repo.full_name,
                data={"before": derived.example.before, "after": derived.example.after},
            )
    if added:
        await learn(loop, repo)
    return added


async def learn_from_merge(loop: Loop, repo: Repo, s: PullRequestSignal) -> int:
    """A merged `/evolve rewrite` PR: each changed unit is an example a person approved."""
    proposal = await loop.store.proposals.for_pr(repo.full_name, s.number)
    if proposal is None or proposal.kind != Kind.REWRITE or proposal.base_sha is None or proposal.head_sha is None:
        return 0
    added = 0
    for path in proposal.targets:
        language = language_for(path)
        before = await repo.client.read_file(path, ref=proposal.base_sha)
        after = await repo.client.read_file(path, ref=proposal.head_sha)
        if language is None or before is None or after is None:
            continue
        try:
            regions = edit_regions(before.text, after.text, language=language)
        except ValueError as exc:  # a file that does not parse gives no trustworthy units
            log.info("no examples from %s: %s", path, exc)
            continue
        for i, region in enumerate(regions):
            example = Example(
                before=region.before, after=region.after, path=path, language=language, source=REWRITE_COMMAND,
                author=proposal.origin.get("actor"), pr=s.number, line=region.start_line,
                surroundings=surroundings_of(before.text, region.before_span, language=language),
            )  # fmt: skip
            added += await loop.store.learning.add_example(repo.full_name, example, origin=f"rewrite:{proposal.id}:{path}:{i}")
    if added:
        await loop.note("learn.example", f"{added} example(s) from merged rewrite #{s.number}", repository=repo.full_name)
        await learn(loop, repo)
    return added


async def learn(loop: Loop, repo: Repo) -> list[Proposal]:
    """Learn rules from the stored examples and propose each kept one where it applies."""
    learned = learn_rules(await loop.store.learning.examples(repo.full_name), min_examples=repo.config.learn.min_examples)
    retired = await loop.store.learning.retired_rules(repo.full_name)
    taught = await loop.store.learning.retired_examples(repo.full_name)
    opened = []
    files = RepoFiles(repo.client, repo.default_branch)
    paths = await files.paths()
    for rule in learned:
        if not rule.kept or rule.rule is None or retirement(rule, retired, taught):
            continue
        language = rule.rule.language
        contents = {p: t for p, t in (await files.read([p for p in paths if language_for(p) == language])).items() if t is not None}
        sites = find_sites(rule, contents)
        if not sites.sites:
            continue
        off_limits = deciding.only_off_limits((site.path for site in sites.sites), config=repo.config)
        if off_limits:
            paths = ", ".join(f"`{p}`" for p in off_limits)
            await loop.note("rule.left_alone", RULE_LEFT_ALONE.format(rule_id=rule.id, paths=paths), repository=repo.full_name)
            continue
        spec = {k: v for k, v in sites.spec().items() if k != "examples"}  # the key is the rule
        proposal = await propose(
            loop, repo, kind=Kind.LEARNED_RULE, spec=spec, title=sites.title(), rationale=sites.rationale(),
            signals=delivery_signals(),
        )  # fmt: skip
        if proposal is not None:
            opened.append(proposal)
    return opened


# -- the playbook ----------------------------------------------------------------------------


async def reflect_on(loop: Loop, repo: Repo) -> None:
    """Reflect on the outcomes, curate the lessons into the playbook incrementally, and
    propose the playbook file when it changed materially."""
    outcomes = await loop.outcomes(repo)
    current = await loop.playbook(repo)
    if len(outcomes) <= current.outcomes_seen:
        return
    info = {p.id: p for p in await loop.store.proposals.find(repo.full_name, limit=10_000)}
    curation = curate(current, reflect(outcomes, info), outcomes_seen=len(outcomes))
    saved = await loop.store.learning.playbook_text(repo.full_name)
    text = render_playbook(curation.playbook)
    await loop.store.learning.save_playbook(
        repo.full_name, text, file_sha=saved[1] if saved else None,
        message="; ".join(curation.changes) or f"reflected on {len(outcomes)} outcomes; no lesson changed",
    )  # fmt: skip
    if curation.material_change:
        await propose(
            loop,
            repo,
            kind=Kind.PLAYBOOK,
            spec={"text": text},
            title=PLAYBOOK_TITLE,
            rationale=PLAYBOOK_RATIONALE + "; ".join(curation.changes),
            signals=delivery_signals(),
        )


async def on_push(loop: Loop, s: PushSignal) -> None:
    """A push to the default branch: an invalid `.github/evolve.yml` gets a failing `evolve`
    check naming the line; a person's edit of the playbook is read back as authoritative."""
    if s.installation_id is None or s.repository is None:
        return
    changed = {path for c in s.commits for path in (*c.added, *c.modified)}
    if CONFIG_PATH in changed:
        repo = await loop.repo(s.repository, s.installation_id)
        if repo.config_error is not None:
            await repo.client.create_check_run(
                name=OWN_CHECK,
                head_sha=s.after,
                status="completed",
                conclusion="failure",
                title=CONFIG_INVALID_TITLE.format(path=CONFIG_PATH),
                summary=str(repo.config_error),
            )
            await loop.note("config.invalid", str(repo.config_error), repository=repo.full_name)
    if PLAYBOOK_PATH not in changed or s.from_bot:
        return
    repo = await loop.repo(s.repository, s.installation_id)
    found = await repo.client.read_file(PLAYBOOK_PATH, ref=s.after)
    if found is None or found.text is None:
        return
    try:
        playbook = parse_playbook(found.text)
    except ValueError as exc:
        await loop.note("playbook.invalid", f"{PLAYBOOK_PATH} does not parse: {exc}", repository=repo.full_name)
        return
    await loop.store.learning.save_playbook(
        repo.full_name, render_playbook(playbook), file_sha=found.sha,
        message=f"@{s.actor} edited {PLAYBOOK_PATH}: read back as authoritative ({len(playbook.lessons)} lessons)",
    )  # fmt: skip
