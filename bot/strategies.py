"""Patch strategies: each turns a proposal into file changes; the loop picks one by kind."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Protocol

from ast_grep_py import SgRoot

from bot.config import DEFAULT_CONFIG_TEXT, RepoConfig
from bot.playbook import PLAYBOOK_PATH
from bot.proposals import Proposal
from bot.rules import (
    ItemMap,
    NameTable,
    RewriteError,
    RewriteRule,
    ValueSet,
    apply_rewrite,
    diff_line_count,
    find_matches,
    language_for,
    pattern_problem,
    unified_diff,
)

CONFIG_PATH = ".github/evolve.yml"

NO_STRATEGY = "no patch strategy for proposals of kind {kind!r}"
CONFIG_EXISTS = f"{CONFIG_PATH} already exists on the default branch"
PATH_RULES = f"the path rules in {CONFIG_PATH} (paths.allow / paths.deny)"
ONLY_DENIED_MATCHES = (
    "every match of `{pattern}` is in a file off limits by " + PATH_RULES + ": {paths}"
)
LEFT_ALONE = "Left alone, by " + PATH_RULES + ": {paths}."
LEFT_BROKEN = "Left alone, because the rewrite would leave them unparsable: {paths}."
BAD_EACH = "the rule's `each` is not an item map: {error}"
BAD_TABLE = (
    "the rule's `table` is not a name table (`source`, `target` and `entries` as pairs): {error}"
)
BAD_VALUES = (
    "the rule's `values` is not a list of held metavariables (each a `name` and its `values`):"
    " {error}"
)
LEFT_MARKED = (
    "Left alone, because a comment there tells linters to (`# noqa` or the like): {paths}."
)
LEFT_COMMENTED = "Left alone, because the fix would drop a comment there: {paths}."
LEARNED_RULE = "learned_rule"
MORE_PATHS = " and {count} more"
NAMED_PATHS = 10  # a long list would bury the rest of the reply


class NothingToChange(Exception):
    """The strategy ran and found nothing to change (not a failure; the reply says why)."""


class PatchFailed(Exception):
    """The strategy could not produce a change; the message says what went wrong, for the reply."""


@dataclass(frozen=True, slots=True)
class Patch:
    """New contents per path (None deletes), the diff for previews, and a one-line summary."""

    changes: Mapping[str, str | None]
    diff: str
    summary: str
    diff_lines: int  # lines added plus lines removed, for the diff-size cap

    @property
    def targets(self) -> tuple[str, ...]:
        return tuple(sorted(self.changes))


class Files(Protocol):
    """Read access to the default branch, as a strategy needs it (the RepoClient in production)."""

    async def paths(self) -> list[str]: ...

    async def read(self, paths: list[str]) -> dict[str, str | None]: ...


Strategy = Callable[[Proposal, Files, RepoConfig], Awaitable[Patch]]


async def rewrite(proposal: Proposal, files: Files, config: RepoConfig) -> Patch:
    """`/evolve rewrite <pattern> -> <fix> [in <glob>]`, structurally, with ast-grep."""
    spec = proposal.spec
    try:
        rule = RewriteRule(
            pattern=spec["pattern"],
            fix=spec["fix"],
            language=spec.get("language"),
            glob=spec.get("glob"),
            inside=tuple(spec.get("inside") or ()),
            selector=spec.get("selector"),
            facts=tuple(spec.get("facts") or ()),
            any_quote=bool(spec.get("any_quote")),
            each=_item_map(spec.get("each")),
            table=_name_table(spec.get("table")),
            values=_value_sets(spec.get("values")),
            rest=spec.get("rest"),
        )
    except RewriteError as exc:
        raise PatchFailed(str(exc)) from exc
    candidates = [
        p for p in await files.paths() if rule.in_scope(p) and language_for(p) is not None
    ]
    contents = {
        path: text for path, text in (await files.read(candidates)).items() if text is not None
    }
    try:
        # A learned rule is the bot's own generalisation: a file it would break is left alone
        # and named. A person's `/evolve rewrite` that would break a file is refused instead.
        result = apply_rewrite(
            contents,
            rule,
            allowed=config.path_allowed,
            skip_breaking=proposal.kind == LEARNED_RULE,
            # The bot's own generalisation does not overrule a line its author marked `# noqa`.
            skip_marked=proposal.kind == LEARNED_RULE,
        )
    except RewriteError as exc:
        raise PatchFailed(str(exc)) from exc
    denied = _denied_matches(contents, rule, paths=result.not_allowed)
    if not result.changed:
        if denied and result.no_matches:
            raise PatchFailed(
                ONLY_DENIED_MATCHES.format(pattern=rule.pattern, paths=_path_list(denied))
            )
        if result.breaking:  # every site would break its file: say so, not "no matches"
            raise PatchFailed(next(iter(result.breaking.values())))
        if result.marked:  # every match is on a marked line: say so, not "no matches"
            raise NothingToChange(LEFT_MARKED.format(paths=_places(result.marked)))
        if result.commented:
            raise NothingToChange(LEFT_COMMENTED.format(paths=_places(result.commented)))
        raise NothingToChange(result.describe())
    changes = dict(result.changed)
    sites = result.match_count
    files_word = f"{len(changes)} file{'s' if len(changes) != 1 else ''}"
    old = {p: contents[p] for p in changes}
    summary = (
        f"Rewrites {rule.describe()} at {sites} site{'s' if sites != 1 else ''} in {files_word}."
    )
    if denied:
        summary += " " + LEFT_ALONE.format(paths=_path_list(denied))
    if result.breaking:
        summary += " " + LEFT_BROKEN.format(paths=_path_list(sorted(result.breaking)))
    if result.marked:
        summary += " " + LEFT_MARKED.format(paths=_places(result.marked))
    if result.commented:
        summary += " " + LEFT_COMMENTED.format(paths=_places(result.commented))
    return Patch(
        changes=changes,
        diff=unified_diff(old, changes),
        diff_lines=diff_line_count(old, changes),
        summary=summary,
    )


def _denied_matches(
    contents: Mapping[str, str], rule: RewriteRule, *, paths: tuple[str, ...]
) -> list[str]:
    """The denied files where `rule` matches: the reply names them, so a skip is never silent.

    Only matching files are named; a denied file the rule would not touch is no news.
    """
    matching = []
    for path in paths:
        language = language_for(path)
        if language is None or pattern_problem(rule.pattern, language, selector=rule.selector):
            continue
        if find_matches(SgRoot(contents[path], language).root(), rule, language=language):
            matching.append(path)
    return matching


def _item_map(spec: object) -> ItemMap | None:
    """A list rule's `each` from a proposal's spec; RewriteError when it is not one."""
    if not spec:
        return None
    try:
        return ItemMap(**spec)  # type: ignore[arg-type]
    except TypeError as exc:
        raise RewriteError(BAD_EACH.format(error=exc)) from None


def _name_table(spec: object) -> NameTable | None:
    """A learned rule's name table from a proposal's spec; RewriteError when it is not one."""
    if not spec:
        return None
    try:
        source, target, entries = spec["source"], spec["target"], spec["entries"]  # type: ignore[index]
        pairs = tuple(sorted((str(a), str(b)) for a, b in entries))
    except (TypeError, KeyError, ValueError) as exc:
        raise RewriteError(BAD_TABLE.format(error=exc)) from None
    return NameTable(source=str(source), target=str(target), entries=pairs)


def _value_sets(spec: object) -> tuple[ValueSet, ...]:
    """A learned rule's held metavariables from a proposal's spec; RewriteError when they are not."""
    if not spec:
        return ()
    try:
        if not isinstance(spec, list):
            raise TypeError(f"a list was expected, not {type(spec).__name__}")
        held = []
        for entry in spec:
            name, values = entry["name"], entry["values"]
            if not isinstance(values, list):
                raise TypeError(f"`values` of ${name} is not a list")
            held.append(ValueSet(name=str(name), values=tuple(sorted(str(v) for v in values))))
    except (TypeError, KeyError) as exc:
        raise RewriteError(BAD_VALUES.format(error=exc)) from None
    return tuple(held)


def _places(places: tuple[tuple[str, int], ...]) -> str:
    return _path_list([f"{path}:{line}" for path, line in places])


def _path_list(paths: list[str]) -> str:
    named = ", ".join(f"`{p}`" for p in paths[:NAMED_PATHS])
    more = len(paths) - NAMED_PATHS
    return named + (MORE_PATHS.format(count=more) if more > 0 else "")


async def onboarding(proposal: Proposal, files: Files, config: RepoConfig) -> Patch:
    """The first PR on a new installation: a commented `.github/evolve.yml` with every default."""
    existing = (await files.read([CONFIG_PATH])).get(CONFIG_PATH)
    if existing is not None:
        raise NothingToChange(CONFIG_EXISTS)
    return Patch(
        changes={CONFIG_PATH: DEFAULT_CONFIG_TEXT},
        diff=unified_diff({}, {CONFIG_PATH: DEFAULT_CONFIG_TEXT}),
        diff_lines=diff_line_count({}, {CONFIG_PATH: DEFAULT_CONFIG_TEXT}),
        summary=f"Adds `{CONFIG_PATH}` with the default settings, each explained, so you can tune how I work here.",
    )


async def playbook(proposal: Proposal, files: Files, config: RepoConfig) -> Patch:
    """The lessons learned here, as `.github/evolve/playbook.md`, for people to review and edit."""
    text = str(proposal.spec["text"])
    existing = (await files.read([PLAYBOOK_PATH])).get(PLAYBOOK_PATH)
    if existing == text:
        raise NothingToChange(f"{PLAYBOOK_PATH} already says this")
    old = {PLAYBOOK_PATH: existing} if existing is not None else {}
    lessons = sum(1 for line in text.splitlines() if line.startswith("- "))
    return Patch(
        changes={PLAYBOOK_PATH: text},
        diff=unified_diff(old, {PLAYBOOK_PATH: text}),
        diff_lines=diff_line_count(old, {PLAYBOOK_PATH: text}),
        summary=f"Updates `{PLAYBOOK_PATH}`: the lessons I learned from this repository's outcomes ({lessons} now). "
        "Edit them freely: what you merge there is what I follow.",
    )


# A learned rule is applied exactly as a maintainer's rewrite command would be.
STRATEGIES: dict[str, Strategy] = {
    "rewrite": rewrite,
    "learned_rule": rewrite,
    "onboarding": onboarding,
    "playbook": playbook,
}


def strategy_for(kind: str) -> Strategy:
    try:
        return STRATEGIES[kind]
    except KeyError:
        raise PatchFailed(NO_STRATEGY.format(kind=kind)) from None
