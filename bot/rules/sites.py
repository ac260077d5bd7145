"""Using a learned rule: its sites on a branch, and the proposal's title and rationale."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from bot.rules.learned import LearnedRule
from bot.rules.rewriting import RewriteResult, RewriteSite, apply_rewrite
from bot.rules.rule import REST_MAY_BE_EMPTY, NameTable, RewriteRule, in_one_line, shown

NOT_KEPT = "rule {id} was not kept ({reason}); only kept rules have sites"
WHERE = " (only where the match is {places}, as in the examples)"
EACH_WHERE = " ({each}, however many items there are)"
TABLE_WHERE = " ({table}; no other name)"
VALUES_WHERE = " ({values}, as in the examples; no other value)"
FACTS_WHERE = " (only where {facts}, as around every example)"
PROPOSAL_TITLE = "Apply learned rule {pattern} -> {fix}"
PROPOSAL_RATIONALE = (
    "Reviewers made this change {count} times ({examples}); the rule {pattern} -> {fix}{where}"
    " reproduces each of them and applies at {sites} more {noun} on the default branch."
)


@dataclass(frozen=True)
class RuleSites:
    """Where a kept rule applies on a branch, and what a `learned_rule` proposal says about it."""

    learned: LearnedRule
    result: RewriteResult

    @property
    def sites(self) -> tuple[RewriteSite, ...]:
        return self.result.sites

    def title(self) -> str:
        assert self.learned.rule is not None
        rule = self.learned.rule
        return PROPOSAL_TITLE.format(pattern=in_one_line(rule.pattern), fix=in_one_line(rule.fix))

    def rationale(self) -> str:
        assert self.learned.rule is not None
        count = len(self.sites)
        return PROPOSAL_RATIONALE.format(
            count=len(self.learned.examples),
            examples="; ".join(e.describe() for e in self.learned.examples),
            pattern=shown(self.learned.rule.pattern),
            fix=shown(self.learned.rule.fix),
            where=_where(self.learned.rule),
            sites=count,
            noun="place" if count == 1 else "places",
        )

    def spec(self) -> dict[str, Any]:
        """The `learned_rule` proposal's spec: the rule, and the examples it was learned from."""
        rule = self.learned.rule
        assert rule is not None
        return {
            "rule_id": self.learned.id,
            "pattern": rule.pattern,
            "fix": rule.fix,
            "language": rule.language,
            "glob": rule.glob,
            "inside": list(rule.inside),
            "selector": rule.selector,
            "facts": list(rule.facts),
            "any_quote": rule.any_quote,
            "each": dataclasses.asdict(rule.each) if rule.each else None,
            "table": _table_spec(rule.table),
            "values": [{"name": h.name, "values": list(h.values)} for h in rule.values],
            "rest": rule.rest,
            "examples": [
                {"pr": e.pr, "author": e.author, "path": e.path, "line": e.line, "source": e.source}
                for e in self.learned.examples
            ],
        }


def _table_spec(table: NameTable | None) -> dict[str, Any] | None:
    if table is None:
        return None
    return {
        "source": table.source,
        "target": table.target,
        "entries": [list(entry) for entry in table.entries],
    }


def _where(rule: RewriteRule) -> str:
    where = EACH_WHERE.format(each=rule.each.describe()) if rule.each else ""
    where += TABLE_WHERE.format(table=rule.table.describe()) if rule.table else ""
    where += "".join(VALUES_WHERE.format(values=held.describe()) for held in rule.values)
    where += REST_MAY_BE_EMPTY.format(rest=rule.rest) if rule.rest else ""
    where += WHERE.format(places=" or ".join(rule.inside)) if rule.inside else ""
    if rule.facts:
        where += FACTS_WHERE.format(facts=" and ".join(rule.facts))
    return where


def find_sites(rule: LearnedRule, files: Mapping[str, str]) -> RuleSites:
    """Where else `rule` applies in `files` (path -> content, e.g. the default branch).

    Raises ValueError for a rule that was not kept, RewriteError when the rewrite itself fails.
    A file the rule would leave unparsable is left alone (`result.breaking`), not the whole rule,
    and so is a line marked `# noqa` (`result.marked`).
    """
    if not rule.kept or rule.rule is None:
        raise ValueError(NOT_KEPT.format(id=rule.id, reason=rule.rejected_reason or "no rule"))
    result = apply_rewrite(files, rule.rule, skip_breaking=True, skip_marked=True)
    return RuleSites(learned=rule, result=result)
