"""Python's plain strings in either quote style, so that a rule matches both."""

from __future__ import annotations

import functools

from ast_grep_py import SgNode, SgRoot

QUOTES_LANGUAGE = "python"
# Each plain string doubles the searches of an either-quote rule: beyond this many, the rest match
# only as written.
MAX_QUOTED_STRINGS = 3


def plain_form(node: SgNode) -> str:
    """`node`'s text, a plain string in double quotes, so that either quote style is one value (a
    string's content is as it is: `'x'` inside `"'x'"` is no string)."""
    text = node.text()
    return f'"{text[1:-1]}"' if node.kind() == "string" and _plain(text) else text


@functools.lru_cache(maxsize=256)
def quote_variant_pairs(
    pattern: str, fix: str, *, prefer: str | None = None
) -> tuple[tuple[str, str], ...]:
    """`pattern` with its plain Python strings in each quote style ('x' and "x"), itself first,
    each with the fix to write for it.

    A string is plain when it has no prefix, is not triple-quoted and holds neither quote nor a
    backslash, so that swapping its quotes cannot change what it means. A string of the fix that
    is a string of the pattern (`"$B"` in both) takes the quotes the match had, so a rewrite
    keeps the code's quote style; strings only the fix has are written in the `prefer`red quote
    (`preferred_quote`), or as the fix has them when there is none."""
    all_spans = plain_strings(pattern)
    spans = all_spans[:MAX_QUOTED_STRINGS]
    fix_spans = plain_strings(fix)
    # Either quote style of a pattern string counts as that string.
    in_pattern = {_swap_quotes(pattern[a:b], [(0, b - a)]) for a, b in all_spans} | {
        pattern[a:b] for a, b in all_spans
    }
    own = [
        (a, b)
        for a, b in fix_spans
        if fix[a:b] not in in_pattern and prefer is not None and fix[a] != prefer
    ]
    pairs = []
    for chosen in range(2 ** len(spans)):
        swapped = [span for i, span in enumerate(spans) if chosen >> i & 1]
        originals = {pattern[a:b] for a, b in swapped}
        pairs.append(
            (
                _swap_quotes(pattern, swapped),
                _swap_quotes(fix, [(a, b) for a, b in fix_spans if fix[a:b] in originals] + own),
            )
        )
    return tuple(pairs)


def preferred_quote(root: SgNode) -> str | None:
    """The quote most of the Python file's plain strings use (`'` or `"`); None on a tie."""
    counts = {"'": 0, '"': 0}
    for node in root.find_all(kind="string"):
        text = node.text()
        if _plain(text):
            counts[text[0]] += 1
    if counts["'"] == counts['"']:
        return None
    return "'" if counts["'"] > counts['"'] else '"'


def _plain(text: str) -> bool:
    return (
        len(text) >= 2
        and text[0] in "'\""
        and text[-1] == text[0]
        and not text.startswith(text[0] * 3)
        and not any(ch in text[1:-1] for ch in "'\"\\")
    )


def plain_strings(code: str) -> list[tuple[int, int]]:
    """The spans of `code`'s plain Python strings (see `quote_variant_pairs`)."""
    spans = []
    for node in SgRoot(code, QUOTES_LANGUAGE).root().find_all(kind="string"):
        if _plain(node.text()):
            r = node.range()
            spans.append((r.start.index, r.end.index))
    return spans


def _swap_quotes(code: str, spans: list[tuple[int, int]]) -> str:
    for start, end in sorted(spans, reverse=True):
        other = "'" if code[start] == '"' else '"'
        code = code[:start] + other + code[start + 1 : end - 1] + other + code[end:]
    return code
