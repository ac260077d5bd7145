"""Examples from review signals: applied suggestions, and human commits where a review pointed.

* `example_from_suggestion` turns a review ```suggestion into an example once a later commit of
  the pull request shows it was applied: the suggested lines are in the file near where the
  suggestion pointed, and the lines it replaced are gone from there.
* `example_from_commit` turns a human commit that changed the lines a review comment pointed at
  into an example of that change.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass

from ast_grep_py import SgRoot

from bot.rules.examples import HUMAN_COMMIT, SUGGESTION, Example, ExampleError
from bot.rules.patterns import canonical_language
from bot.rules.regions import EditMap, EditRegion, edit_map_or_reason
from bot.rules.surroundings import LANGUAGE as SURROUNDINGS_LANGUAGE
from bot.rules.surroundings import Surroundings, surroundings_at
from bot.signals import Suggestion

# How far (in lines) from where the suggestion pointed, after mapping that line through the
# commit's own line diff, its text may land and still count as "at that place".
NEARBY_LINES = 3
LINES_OUTSIDE = "lines {start}-{end} are outside {path}, which has {count} lines at that commit"
BAD_RANGE = "line range {start}-{end} is not a range of lines (they count from 1, start <= end)"
STALE_SUGGESTION = (
    "at the suggestion's commit, {path}:{start}-{end} is not the code the suggestion replaces"
)
SUGGESTION_IS_NOOP = "the suggestion does not change {path}:{start}-{end}"
NOT_APPLIED_MISSING = (
    "not applied: the later {path} does not have the suggested lines near line {line}"
)
NOT_APPLIED_STILL_THERE = (
    "not applied: the later {path} still has the lines the suggestion replaces near line {line}"
)
NOT_CHANGED_THERE = "the commit did not change {path}:{start}-{end}"
NOT_AN_EXAMPLE = "{path}:{line}: {error}"
WHITESPACE_ONLY = "the change at {path}:{start}-{end} only moves whitespace"


@dataclass(frozen=True, slots=True)
class Derivation:
    """An example cut from a review signal, or None and the reason there is none."""

    example: Example | None
    reason: str | None = None

    def __bool__(self) -> bool:
        return self.example is not None


def _normalized(lines: Iterable[str]) -> list[str]:
    return [line.rstrip() for line in lines]


def _find_block(lines: list[str], block: list[str]) -> list[int]:
    """Every 0-based index where `block` starts in `lines` (trailing whitespace ignored)."""
    if not block:
        return []
    return [i for i in range(len(lines) - len(block) + 1) if lines[i : i + len(block)] == block]


def _map_line(old: list[str], new: list[str], line: int) -> int:
    """Where 0-based old line `line` went in `new`, by the line diff between them."""
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(
        None, old, new, autojunk=False
    ).get_opcodes():
        if i1 <= line < i2 or (line == i1 == i2):
            return j1 + (line - i1 if tag == "equal" else 0)
    return len(new)


def example_from_suggestion(
    suggestion: Suggestion,
    *,
    old_text: str,
    new_text: str,
    author: str | None = None,
    pr: int | None = None,
) -> Derivation:
    """The example a ```suggestion gives, once a later commit shows it was applied.

    `old_text` is the file at the suggestion's commit, `new_text` the file at a later commit of
    the pull request. Applied means: near the place the suggestion pointed at (mapped through the
    lines that commit added or removed above it) the later file has the suggested lines and no
    longer has the lines they replace.
    """
    path, start, end = suggestion.path, suggestion.start_line, suggestion.end_line
    if start < 1 or end < start:
        return Derivation(None, BAD_RANGE.format(start=start, end=end))
    old_lines = old_text.splitlines(keepends=True)
    if end > len(old_lines):
        return Derivation(
            None, LINES_OUTSIDE.format(start=start, end=end, path=path, count=len(old_lines))
        )
    replaced = old_lines[start - 1 : end]
    if suggestion.before is not None and _normalized(suggestion.before.splitlines()) != _normalized(
        replaced
    ):
        return Derivation(None, STALE_SUGGESTION.format(path=path, start=start, end=end))
    suggested = suggestion.after.splitlines(keepends=True)
    if suggested and not suggested[-1].endswith("\n"):
        suggested[-1] += "\n"
    if _normalized(suggested) == _normalized(replaced):
        return Derivation(None, SUGGESTION_IS_NOOP.format(path=path, start=start, end=end))

    old_n, new_n = _normalized(old_lines), _normalized(new_text.splitlines())
    place = _map_line(old_n, new_n, start - 1)
    window = range(place - NEARBY_LINES, place + NEARBY_LINES + 1)
    found_after = [i for i in _find_block(new_n, _normalized(suggested)) if i in window]
    if suggested and not found_after:
        return Derivation(None, NOT_APPLIED_MISSING.format(path=path, line=start))
    # The replaced lines may legitimately reappear inside the suggested ones (a suggestion that
    # adds a line keeps the old one); only an occurrence outside them means "not applied".
    inside = {i + k for i in found_after for k in range(len(suggested))}
    still_there = [
        i
        for i in _find_block(new_n, _normalized(replaced))
        if i in window and not set(range(i, i + len(replaced))) <= inside
    ]
    if still_there:
        return Derivation(None, NOT_APPLIED_STILL_THERE.format(path=path, line=start))

    applied = "".join(old_lines[: start - 1] + suggested + old_lines[end:])
    edit, reason = edit_map_or_reason(old_text, applied, path=path)
    if edit is None:
        return Derivation(None, reason)
    region = _one_region(edit)
    if region is None:
        return Derivation(None, WHITESPACE_ONLY.format(path=path, start=start, end=end))
    return _derivation(
        region,
        path=path,
        language=edit.language,
        source=SUGGESTION,
        author=author,
        pr=pr,
        old_text=old_text,
    )


def surroundings_of(text: str, span: tuple[int, int], *, language: str) -> Surroundings | None:
    """What the code around `span` of `text` says about its names; None for a language not read."""
    if canonical_language(language) != SURROUNDINGS_LANGUAGE:
        return None
    return surroundings_at(SgRoot(text, SURROUNDINGS_LANGUAGE).root(), *span)


def _derivation(
    region: EditRegion,
    *,
    path: str,
    language: str,
    source: str,
    author: str | None,
    pr: int | None,
    old_text: str,
) -> Derivation:
    try:
        example = Example(
            before=region.before,
            after=region.after,
            path=path,
            language=language,
            source=source,
            author=author,
            pr=pr,
            line=region.start_line,
            surroundings=surroundings_of(old_text, region.before_span, language=language),
        )
    except ExampleError as exc:  # code added where there was none: nothing to rewrite from
        return Derivation(None, NOT_AN_EXAMPLE.format(path=path, line=region.start_line, error=exc))
    return Derivation(example)


def _one_region(
    edit: EditMap, spans: list[tuple[int, int, int, int]] | None = None
) -> EditRegion | None:
    """One unit holding all of `spans` (all of the edit's units when None)."""
    spans = edit.spans() if spans is None else spans
    if not spans:
        return None
    if len(spans) == 1:
        return edit.region(spans[0])
    before = (min(s[0] for s in spans), max(s[1] for s in spans))
    after = (min(s[2] for s in spans), max(s[3] for s in spans))
    return edit.region(edit.unit(before, after))


def example_from_commit(
    *,
    path: str,
    old_text: str,
    new_text: str,
    start_line: int,
    end_line: int,
    author: str | None = None,
    pr: int | None = None,
) -> Derivation:
    """The example a human commit gives when it changed the lines a review comment pointed at.

    `start_line..end_line` are the commented lines in `old_text` (the file before the commit);
    the example is the unit holding every change that touches them.
    """
    if start_line < 1 or end_line < start_line:
        return Derivation(None, BAD_RANGE.format(start=start_line, end=end_line))
    count = len(old_text.splitlines())
    if end_line > count:
        return Derivation(
            None, LINES_OUTSIDE.format(start=start_line, end=end_line, path=path, count=count)
        )
    edit, reason = edit_map_or_reason(old_text, new_text, path=path)
    if edit is None:
        return Derivation(None, reason)
    touching = [
        span
        for span in edit.spans()
        if (cut := edit.region(span)).start_line <= end_line and cut.end_line >= start_line
    ]
    region = _one_region(edit, touching)
    if region is None:
        return Derivation(None, NOT_CHANGED_THERE.format(path=path, start=start_line, end=end_line))
    return _derivation(
        region,
        path=path,
        language=edit.language,
        source=HUMAN_COMMIT,
        author=author,
        pr=pr,
        old_text=old_text,
    )
