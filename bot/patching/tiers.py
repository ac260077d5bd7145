"""Matching tiers: how strictly a hunk's lines must equal the file's, and indentation shifts."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from bot.patching.outcomes import Strategy


@dataclass(frozen=True, slots=True)
class Tier:
    name: str
    strategy: Strategy
    key: Callable[[str], str]
    reindent: bool  # the indentation may differ: work out the shift and apply it to added lines


EXACT_TIER = Tier("exact", Strategy.EXACT, lambda s: s, reindent=False)
RSTRIP_TIER = Tier("rstrip", Strategy.WHITESPACE, str.rstrip, reindent=False)
STRIP_TIER = Tier("strip", Strategy.REINDENT, str.strip, reindent=True)
CONTIGUOUS_TIERS = (EXACT_TIER, RSTRIP_TIER, STRIP_TIER)
FUZZY_TIERS = (RSTRIP_TIER, STRIP_TIER)


@dataclass(frozen=True, slots=True)
class Shift:
    """Indentation difference between hunk and file: drop `remove`, then prepend `add`."""

    add: str = ""
    remove: str = ""

    def width(self) -> int:
        return len(self.add) - len(self.remove)

    def apply(self, line: str) -> str | None:
        if not line.strip():
            return line
        if not line.startswith(self.remove):
            return None
        return self.add + line[len(self.remove) :]


NO_SHIFT = Shift()


def _indent(line: str) -> str:
    return line[: len(line) - len(line.lstrip())]


def shift_between(pairs: list[tuple[str, str]]) -> Shift | None:
    """The one uniform shift turning each hunk line's indentation into its file line's; or None."""
    shift: Shift | None = None
    for hunk_line, file_line in pairs:
        if not hunk_line.strip():
            continue
        h, f = _indent(hunk_line), _indent(file_line)
        if shift is None:
            if f.endswith(h):
                shift = Shift(add=f[: len(f) - len(h)])
            elif h.endswith(f):
                shift = Shift(remove=h[: len(h) - len(f)])
            else:
                return None
        if not h.startswith(shift.remove) or shift.add + h[len(shift.remove) :] != f:
            return None
    return shift or NO_SHIFT
