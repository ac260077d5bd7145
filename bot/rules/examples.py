"""Examples: before/after pairs of code a person approved, cut to the syntactic unit they changed.

Everything in `bot.rules.examples`, `bot.rules.regions` and `bot.rules.reviews` is pure: file
contents go in, examples (or why there is none) come out.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.rules.patterns import canonical_language
from bot.rules.surroundings import Surroundings

SUGGESTION = "suggestion"
HUMAN_COMMIT = "human_commit"
REWRITE_COMMAND = "rewrite_command"
SOURCES = (SUGGESTION, HUMAN_COMMIT, REWRITE_COMMAND)

UNKNOWN_SOURCE = "unknown example source {source!r}; expected one of: {expected}"
NO_CHANGE = "the example's before and after are the same text"
EMPTY_BEFORE = "an example needs the code it changed; `before` is empty"


class ExampleError(ValueError):
    """An example, or the text to cut one from, that cannot be used; the message says why."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Example:
    """A before/after pair of code someone approved, with where it came from and how it went.

    `before` and `after` are standalone snippets (see `edit_regions`); `line` is where `before`
    starts in `path` (1-based) when known. `outcome` is None until the change's fate is known
    (for instance `merged`, `closed` or `reverted`).
    """

    before: str
    after: str
    path: str
    language: str
    source: str
    author: str | None = None
    pr: int | None = None
    line: int | None = None
    outcome: str | None = None
    # What the code around `before` said (enclosing class, names' known types); None: not read.
    surroundings: Surroundings | None = None

    def __post_init__(self) -> None:
        if self.source not in SOURCES:
            raise ExampleError(
                UNKNOWN_SOURCE.format(source=self.source, expected=", ".join(SOURCES))
            )
        if not self.before.strip():
            raise ExampleError(EMPTY_BEFORE)
        if self.before == self.after:
            raise ExampleError(NO_CHANGE)
        object.__setattr__(self, "language", canonical_language(self.language))

    def describe(self) -> str:
        """Where the example is from, for a proposal or `evolve-bot rules`: `#12 by alice, a.py:3`."""
        where = f"{self.path}:{self.line}" if self.line is not None else self.path
        who = f" by {self.author}" if self.author else ""
        pr = f"#{self.pr}" if self.pr is not None else self.source
        return f"{pr}{who}, {where}"
