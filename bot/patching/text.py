"""A file's text as lines with their own line endings, indexed per matching tier."""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.patching.tiers import Tier, indent_unit


@dataclass(slots=True)
class Text:
    """A file split into line contents and their own line endings ("\\n", "\\r\\n" or "")."""

    lines: list[str]
    eols: list[str]
    _keys: dict[str, list[str]] = field(default_factory=dict)
    _index: dict[str, dict[str, list[int]]] = field(default_factory=dict)
    _unit: str = ""

    @classmethod
    def of(cls, text: str) -> Text:
        # Split on "\n" only: str.splitlines() would also split on form feeds and other
        # separators that source files contain (the stdlib has "\f" in a few modules).
        parts = text.split("\n")
        lines: list[str] = []
        eols: list[str] = []
        for part in parts[:-1]:
            if part.endswith("\r"):
                lines.append(part[:-1])
                eols.append("\r\n")
            else:
                lines.append(part)
                eols.append("\n")
        if parts[-1]:
            lines.append(parts[-1])
            eols.append("")
        return cls(lines, eols)

    @property
    def eol(self) -> str:
        """The file's dominant line ending, given to every added line."""
        crlf = sum(1 for e in self.eols if e == "\r\n")
        return "\r\n" if crlf * 2 > len(self.eols) else "\n"

    @property
    def unit(self) -> str:
        """The file's indentation unit (a tab or some spaces), in which added lines are written."""
        if not self._unit:
            self._unit = indent_unit(self.lines)
        return self._unit

    @property
    def tabbed(self) -> bool:
        """Whether any line starts with a tab."""
        return any(line.startswith("\t") for line in self.lines)

    @property
    def ends_with_newline(self) -> bool:
        return not self.eols or self.eols[-1] != ""

    def keys(self, tier: Tier) -> list[str]:
        if tier.name not in self._keys:
            self._keys[tier.name] = [tier.key(line) for line in self.lines]
        return self._keys[tier.name]

    def index(self, tier: Tier) -> dict[str, list[int]]:
        if tier.name not in self._index:
            positions: dict[str, list[int]] = {}
            for pos, key in enumerate(self.keys(tier)):
                positions.setdefault(key, []).append(pos)
            self._index[tier.name] = positions
        return self._index[tier.name]


def render(lines: list[tuple[str, str]], *, eol: str, final_newline: bool) -> str:
    """Join (content, ending) pairs; every line but the last gets an ending, the last per rule."""
    if not lines:
        return ""
    out = []
    for content, ending in lines[:-1]:
        out.append(content + (ending or eol))
    content, ending = lines[-1]
    out.append(content + ((ending or eol) if final_newline else ""))
    return "".join(out)
