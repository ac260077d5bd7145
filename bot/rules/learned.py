"""LearnedRule: a rule learned from examples, its id, and when it retires."""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from bot.rules.examples import Example
from bot.rules.rule import RewriteRule

RETIRED_WITH_EXAMPLES = "{reason} (to a rule learned from the same examples)"


@dataclass(frozen=True)
class LearnedRule:
    """A rule and the examples it came from; `rejected_reason` says why it is not kept (None: kept).

    `rule` is None when the examples gave no rule at all. The id is a stable hash of pattern,
    fix and language (of the examples, for a group without a rule).
    """

    id: str
    rule: RewriteRule | None
    examples: tuple[Example, ...]
    rejected_reason: str | None = None

    @property
    def kept(self) -> bool:
        return self.rejected_reason is None

    def describe(self) -> str:
        """One line for `evolve-bot rules`."""
        what = f"`{self.rule.pattern}` -> `{self.rule.fix}`" if self.rule else "(no rule)"
        if self.rule:
            what += self.rule.capture_notes()
        status = "kept" if self.kept else f"rejected: {self.rejected_reason}"
        return f"{self.id} {what} [{len(self.examples)} example(s)] {status}"


def rule_id(rule: RewriteRule) -> str:
    """Stable across runs and machines: the same pattern, fix, language (and places) give the same id."""
    parts: list[Any] = [rule.pattern, rule.fix, rule.language]
    if rule.inside or rule.selector:
        parts += [sorted(rule.inside), rule.selector]
    if rule.facts:
        parts += [sorted(rule.facts)]
    if rule.any_quote:
        parts += ["any_quote"]
    if rule.each:
        parts += [dataclasses.asdict(rule.each)]
    if rule.table:
        parts += [dataclasses.asdict(rule.table)]
    if rule.values:
        parts += [[dataclasses.asdict(held) for held in rule.values]]
    if rule.rest:
        parts += [{"rest": rule.rest}]
    canonical = json.dumps(parts)
    return hashlib.sha256(canonical.encode()).hexdigest()[:12]


def example_key(example: Example) -> str:
    """A stable key for one stored example: where it came from and what it changed."""
    e = example
    canonical = json.dumps([e.source, e.path, e.pr, e.line, e.language, e.before, e.after])
    return hashlib.sha256(canonical.encode()).hexdigest()[:16]


def retirement(
    rule: LearnedRule,
    retired: Mapping[str, str],
    retired_examples: Sequence[tuple[frozenset[str], str]],
) -> str | None:
    """Why `rule` is retired, or None: its id was retired, or it stands on the examples of a rule
    that was (all of its examples were that rule's, or all of that rule's are among its own).

    A learner that generalises differently (a later version of this one) draws another rule,
    with another id, from the same examples; and more examples of the same edit do not change a
    "no". The "no" was to what those examples teach.
    """
    if rule.id in retired:
        return retired[rule.id]
    keys = {example_key(e) for e in rule.examples}
    for taught, reason in retired_examples:
        if keys and (keys <= taught or taught <= keys):
            return RETIRED_WITH_EXAMPLES.format(reason=reason)
    return None


def examples_id(examples: Sequence[Example]) -> str:
    canonical = json.dumps([[e.language, e.before, e.after] for e in examples])
    return hashlib.sha256(canonical.encode()).hexdigest()[:12]
