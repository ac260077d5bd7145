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
# SEARCH text copied loosely: runs of spaces inside a line, and ' for " (a block's unchanged
# lines are then written as the file has them, see blocks).
DRIFT_TIER = Tier(
    "drift",
    Strategy.DRIFT,
    lambda s: " ".join(s.split()).replace("'", '"'),
    reindent=True,
)
FUZZY_TIERS = (RSTRIP_TIER, STRIP_TIER)


@dataclass(frozen=True, slots=True)
class Shift:
    """Indentation difference between hunk and file: drop `remove`, then prepend `add`.

    With `hunk_unit` set, the hunk is indented in another unit than the file (tabs against
    spaces, two spaces against four): each of its lines is read as whole levels of `hunk_unit`
    plus the rest, and written as as many levels of `file_unit` (`levels` more) plus the rest.
    """

    add: str = ""
    remove: str = ""
    hunk_unit: str = ""
    file_unit: str = ""
    levels: int = 0

    def width(self) -> int:
        if self.hunk_unit:
            return self.levels * _columns(self.file_unit)
        return len(self.add) - len(self.remove)

    def changes(self) -> bool:
        return bool(self.hunk_unit) or bool(self.width()) or self == LOST_MARKER

    def whole_levels(self, unit: str) -> bool:
        """Whether the shift moves lines by whole indentation units of the file."""
        if self is LOST_MARKER or self == LOST_MARKER:
            return False
        if self.hunk_unit or not self.width():
            return True
        moved = self.add or self.remove
        return moved == unit * (len(moved) // len(unit)) and len(moved) >= len(unit)

    def apply(self, line: str) -> str | None:
        if not line.strip():
            return line
        if self.hunk_unit:
            levels, rest = split_indent(line, unit=self.hunk_unit)
            if levels + self.levels < 0:
                return None
            return self.file_unit * (levels + self.levels) + rest
        if not line.startswith(self.remove):
            return None
        return self.add + line[len(self.remove) :]


NO_SHIFT = Shift()
# Context lines written without their diff marker lose their first column, the others do not:
# the added lines, which kept theirs, stand as written (if settle finds them on the file's grid).
LOST_MARKER = Shift(remove=" ", add=" ")
# Units a hunk may be written in when they differ from the file's.
HUNK_UNITS = ("\t", "  ", "    ", "        ")


def _columns(unit: str) -> int:
    return 8 if unit == "\t" else len(unit)


def _indent(line: str) -> str:
    return line[: len(line) - len(line.lstrip())]


def split_indent(line: str, *, unit: str) -> tuple[int, str]:
    """Whole `unit`s at the start of the line's indentation, and the rest of the line."""
    levels = 0
    at = 0
    while line.startswith(unit, at):
        levels += 1
        at += len(unit)
    return levels, line[at:]


def residue(line: str, *, unit: str) -> str:
    """The indentation left after the whole units (continuation lines align by columns)."""
    _, rest = split_indent(line, unit=unit)
    return _indent(rest)


def indent_unit(lines: list[str]) -> str:
    """The file's indentation unit: a tab, or the commonest step between nested lines."""
    tabs = spaces = 0
    steps: dict[int, int] = {}
    previous = 0
    for line in lines:
        if not line.strip():
            continue
        ind = _indent(line)
        if ind.startswith("\t"):
            tabs += 1
        elif ind:
            spaces += 1
            width = len(ind)
            if width > previous:
                steps[width - previous] = steps.get(width - previous, 0) + 1
        previous = len(ind) if not ind.startswith("\t") else previous
    if tabs > spaces:
        return "\t"
    common = [(n, step) for step, n in steps.items() if step in (2, 3, 4, 8)]
    return " " * (max(common)[1] if common else 4)


def shift_between(pairs: list[tuple[str, str]], *, unit: str = "    ") -> Shift | None:
    """The one uniform shift turning each hunk line's indentation into its file line's; or None.

    First as characters (the hunk quoted some columns off), then as indentation levels in
    another unit (the hunk written with tabs for a file indented with spaces, or the reverse,
    or another width); a unit is taken only if it is the one that fits.
    """
    found = _column_shift(pairs)
    if found is not None:
        return found
    if _lost_marker(pairs):
        return LOST_MARKER
    fits = []
    for hunk_unit in HUNK_UNITS:
        if hunk_unit == unit:
            continue
        shift = _unit_shift(pairs, hunk_unit=hunk_unit, file_unit=unit)
        if shift is not None:
            fits.append(shift)
    return fits[0] if len(fits) == 1 else None


def _column_shift(pairs: list[tuple[str, str]]) -> Shift | None:
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


def _lost_marker(pairs: list[tuple[str, str]]) -> bool:
    """Whether every hunk line is indented as its file line, or one space less, some of each."""
    short = False
    for hunk_line, file_line in pairs:
        if not hunk_line.strip():
            continue
        h, f = _indent(hunk_line), _indent(file_line)
        if h == f:
            continue
        if f.endswith(" ") and h == f[:-1]:
            short = True
            continue
        return False
    return short


def _unit_shift(pairs: list[tuple[str, str]], *, hunk_unit: str, file_unit: str) -> Shift | None:
    delta: int | None = None
    for hunk_line, file_line in pairs:
        if not hunk_line.strip():
            continue
        h_levels, h_rest = split_indent(hunk_line, unit=hunk_unit)
        f_levels, f_rest = split_indent(file_line, unit=file_unit)
        if h_rest != f_rest:
            return None
        if delta is None:
            delta = f_levels - h_levels
        elif f_levels - h_levels != delta:
            return None
    if delta is None:
        return None
    if not any(hunk_unit in _indent(h) for h, _ in pairs if h.strip()):
        return None  # the hunk never uses the unit: nothing shows it is written in it
    return Shift(hunk_unit=hunk_unit, file_unit=file_unit, levels=delta)


def settle(
    shift: Shift,
    *,
    pairs: list[tuple[str, str]],
    added: list[str],
    window: list[str],
    unit: str,
    tabbed: bool = True,
) -> Shift | None:
    """The shift to give the added lines, checked against them and the file; None to refuse.

    A shift by whole indentation levels moved the whole hunk: its added lines follow. A shift
    by some columns is not how a hunk gets quoted off; more likely the context lines lost or
    gained a character (a diff's leading space) and the added lines did not, or the hunk uses
    another indentation width. Each reading is tried, and kept only if every added line lands
    on the file's indentation grid (whole units, plus a rest found in the file nearby); one
    distinct result must be left.

    `tabbed`: whether any line of the file starts with a tab; if none does, added lines
    indented with tabs in a file indented with spaces are read a level per tab.
    """
    if not added:
        return shift
    residues = {residue(line, unit=unit) for line in window if line.strip()}
    if not shift.changes() or shift.whole_levels(unit):
        shift = _tabs_read(shift, added=added, unit=unit, tabbed=tabbed)
        if shift.hunk_unit:
            # Read in another unit: an added line's columns past its whole units must be a
            # rest the context showed in both hunk and file, or the reading is a guess.
            shown = {residue(h, unit=shift.hunk_unit) for h, _ in pairs if h.strip()}
            narrow = shift.hunk_unit != "\t" and any(
                rest and len(rest) % len(shift.hunk_unit) == 0 for rest in residues
            )
            rests = [residue(line, unit=shift.hunk_unit) for line in added if line.strip()]
            if shift.hunk_unit != "\t" and any(rests):
                # Seven columns in two-space levels are three levels and one, or two levels
                # and three: an aligned line in a narrower unit does not say which.
                return None
            if narrow and any(_indent(line) for line in added if line.strip()):
                # The file aligns some lines past its levels by whole levels of the hunk's
                # unit: a hunk's indent may then be read as more levels or as more rest.
                return None
            if any(
                residue(line, unit=shift.hunk_unit) not in shown | {""}
                for line in added
                if line.strip()
            ):
                return None
            return shift
        if shift.changes() or _indented(pairs):
            return shift
        # No context line is indented: nothing shows the hunk's unit. Added lines written as
        # they stand, unless they are off the file's grid where another unit would put them on.
        if all(residue(line, unit=unit) in residues for line in added if line.strip()):
            return shift
        for hunk_unit in HUNK_UNITS:
            other = Shift(hunk_unit=hunk_unit, file_unit=unit)
            lines = [other.apply(line) or "" for line in added]
            if hunk_unit != unit and all(
                residue(line, unit=unit) in residues for line in lines if line.strip()
            ):
                return None
        return shift
    variants = [shift, NO_SHIFT]
    for hunk_unit in HUNK_UNITS:
        if hunk_unit != unit:
            found = _unit_shift(pairs, hunk_unit=hunk_unit, file_unit=unit)
            if found is not None:
                variants.append(found)
    results: dict[tuple[str, ...], Shift] = {}
    for variant in variants:
        lines = [variant.apply(line) for line in added]
        if any(line is None for line in lines):
            continue
        if all(residue(line, unit=unit) in residues for line in lines if line and line.strip()):
            results.setdefault(tuple(line or "" for line in lines), variant)
    return next(iter(results.values())) if len(results) == 1 else None


def _indented(pairs: list[tuple[str, str]]) -> bool:
    return any(hunk_line[:1] in (" ", "\t") and hunk_line.strip() for hunk_line, _ in pairs)


def _tabs_read(shift: Shift, *, added: list[str], unit: str, tabbed: bool) -> Shift:
    """A shift the context showed none of, or whole levels of, with the added lines written
    with tabs for a file that never starts a line with one: each tab is one of its levels."""
    if tabbed or unit == "\t" or shift.hunk_unit:
        return shift
    if not any(line.startswith("\t") for line in added):
        return shift
    moved = shift.add or shift.remove
    if moved.strip(" "):
        return shift
    levels = len(moved) // len(unit) * (1 if shift.add else -1)
    return Shift(hunk_unit="\t", file_unit=unit, levels=levels)
