"""Turns a clean real diff into a model-style reply with one class of mistake at a time."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, replace

from bench.patch_corpus.real_diffs import DiffHunk, RealDiff, hunk_body, hunk_header, render

PROSE_BEFORE = (
    "Sure! Here is the change to `{path}`. I kept the public API the same and only touched "
    "what the issue asks for:\n\n```diff\n"
)
PROSE_AFTER = (
    "```\n\nThis should fix the problem. Let me know if you would also like me to add tests "
    "for the new behaviour.\n"
)
ELISION_COMMENT = "# ... existing code ..."


@dataclass(frozen=True, slots=True)
class Case:
    """One benchmark case: the reply, the file as it is on disk, and the right result."""

    perturbation: str
    diff: RealDiff
    reply: str
    old: str
    expected: str
    # The reply cannot be settled (it was cut off): refusing it is right, and so is the new
    # file if the cut left nothing out that matters; anything else is wrong.
    refusal_right: bool = False


def _recount(h: DiffHunk, *, lines: list[tuple[str, str]]) -> DiffHunk:
    old_len = sum(1 for tag, _ in lines if tag != "+")
    new_len = sum(1 for tag, _ in lines if tag != "-")
    return replace(h, old_len=old_len, new_len=new_len, lines=tuple(lines))


def clean(d: RealDiff, *, rng: random.Random, n: int) -> tuple[str, str, str]:
    """The diff as difflib made it, bare, with a/ b/ headers."""
    return render(d.path, hunks=d.hunks), d.old, d.new


def prose(d: RealDiff, *, rng: random.Random, n: int) -> tuple[str, str, str]:
    """The diff in a ```diff fence, with chatter before and after it."""
    reply = PROSE_BEFORE.format(path=d.path) + render(d.path, hunks=d.hunks) + PROSE_AFTER
    return reply, d.old, d.new


def wrong_line_numbers(d: RealDiff, *, rng: random.Random, n: int) -> tuple[str, str, str]:
    """Hunk start lines off by 1-40 (one offset per file, or a new one per hunk); counts right."""
    # Half the cases: one offset for the whole file (the model saw an older version);
    # the other half: an independent error per hunk (the model guessed each number).
    common = rng.choice([-1, 1]) * rng.randint(1, 40)
    hunks = []
    for h in d.hunks:
        off = common if n % 2 == 0 else rng.choice([-1, 1]) * rng.randint(1, 40)
        hunks.append(
            replace(h, old_start=max(1, h.old_start + off), new_start=max(1, h.new_start + off))
        )
    return render(d.path, hunks=tuple(hunks)), d.old, d.new


def missing_line_numbers(d: RealDiff, *, rng: random.Random, n: int) -> tuple[str, str, str]:
    """Every hunk header replaced by "@@ ... @@", a bare "@@" or "@@ -1 +1 @@"."""
    placeholder = ("@@ ... @@", "@@", "@@ -1 +1 @@")[n % 3]
    lines = [f"--- a/{d.path}", f"+++ b/{d.path}"]
    for h in d.hunks:
        lines.append(placeholder)
        lines.extend(hunk_body(h))
    return "\n".join(lines) + "\n", d.old, d.new


def dropped_context(d: RealDiff, *, rng: random.Random, n: int) -> tuple[str, str, str]:
    """The model leaves out one context line of each hunk (anywhere in the hunk)."""
    hunks = []
    for h in d.hunks:
        lines = list(h.lines)
        context = [k for k, (tag, _) in enumerate(lines) if tag == " "]
        if context:
            del lines[rng.choice(context)]
        hunks.append(_recount(h, lines=lines))
    return render(d.path, hunks=tuple(hunks)), d.old, d.new


def extra_context(d: RealDiff, *, rng: random.Random, n: int) -> tuple[str, str, str]:
    """The model adds one context line the file does not have: a blank or an elision comment."""
    hunks = []
    for h in d.hunks:
        lines = list(h.lines)
        spots = [
            k
            for k in range(len(lines) + 1)
            if (k > 0 and lines[k - 1][0] == " ") or (k < len(lines) and lines[k][0] == " ")
        ]
        if spots:
            k = rng.choice(spots)
            near = lines[k - 1][1] if k > 0 else lines[k][1]
            indent = near[: len(near) - len(near.lstrip())].rstrip("\n")
            extra = "\n" if rng.random() < 0.5 else indent + ELISION_COMMENT + "\n"
            lines.insert(k, (" ", extra))
        hunks.append(_recount(h, lines=lines))
    return render(d.path, hunks=tuple(hunks)), d.old, d.new


def whitespace_drift(d: RealDiff, *, rng: random.Random, n: int) -> tuple[str, str, str]:
    """Each hunk quoted one indentation level off (4 spaces), trailing whitespace dropped.

    Trailing whitespace goes from context and removed lines only: dropped from an added line
    it would change what the model asks for, which no applier can (or should) undo.
    """
    hunks = []
    for h in d.hunks:
        texts = [t for _, t in h.lines if t.strip()]
        dedent = all(t.startswith("    ") for t in texts)
        lines = []
        for tag, text in h.lines:
            newline = "\n" if text.endswith("\n") else ""
            body = text[:-1] if newline else text
            if tag != "+":
                body = body.rstrip()
            if body.strip():
                body = body[4:] if dedent else "    " + body
            lines.append((tag, body + newline))
        hunks.append(replace(h, lines=tuple(lines)))
    return render(d.path, hunks=tuple(hunks)), d.old, d.new


def crlf(d: RealDiff, *, rng: random.Random, n: int) -> tuple[str, str, str]:
    """Even cases: the reply came with CRLF endings. Odd: the file on disk uses CRLF."""
    diff = render(d.path, hunks=d.hunks)
    if n % 2 == 0:
        return diff.replace("\n", "\r\n"), d.old, d.new
    return diff, d.old.replace("\n", "\r\n"), d.new.replace("\n", "\r\n")


def missing_hunk_header(d: RealDiff, *, rng: random.Random, n: int) -> tuple[str, str, str]:
    """The first hunk's @@ line is left out: its lines follow the +++ header directly."""
    lines = [f"--- a/{d.path}", f"+++ b/{d.path}"]
    for k, h in enumerate(d.hunks):
        if k:
            lines.append(hunk_header(h))
        lines.extend(hunk_body(h))
    return "\n".join(lines) + "\n", d.old, d.new


def _indent_body(
    h: DiffHunk, *, convert: Callable[[str], str], context_only: bool = False
) -> DiffHunk:
    lines = []
    for tag, text in h.lines:
        if tag == " " or not context_only:
            text = convert(text)
        lines.append((tag, text))
    return replace(h, lines=tuple(lines))


def _regroup(text: str, *, unit: str) -> str:
    """Each leading group of four spaces written as `unit` instead."""
    body = text.lstrip(" ")
    width = len(text) - len(body)
    if not body.strip():
        return text
    return unit * (width // 4) + " " * (width % 4) + body


def tabs_for_spaces(d: RealDiff, *, rng: random.Random, n: int) -> tuple[str, str, str]:
    """Every hunk line indented with a tab per level where the file has four spaces."""
    hunks = tuple(_indent_body(h, convert=lambda t: _regroup(t, unit="\t")) for h in d.hunks)
    return render(d.path, hunks=hunks), d.old, d.new


def two_space_indent(d: RealDiff, *, rng: random.Random, n: int) -> tuple[str, str, str]:
    """Every hunk line indented two spaces per level where the file has four."""
    hunks = tuple(_indent_body(h, convert=lambda t: _regroup(t, unit="  ")) for h in d.hunks)
    return render(d.path, hunks=hunks), d.old, d.new


def context_off_by_a_column(d: RealDiff, *, rng: random.Random, n: int) -> tuple[str, str, str]:
    """Context lines that begin with a space lost their diff marker: one column off; added lines right.

    The shape behind the hold-out's silently wrong files.
    """
    lines = [f"--- a/{d.path}", f"+++ b/{d.path}"]
    for h in d.hunks:
        lines.append(hunk_header(h))
        for line in hunk_body(h):
            lines.append(line[1:] if line.startswith("  ") else line)
    return "\n".join(lines) + "\n", d.old, d.new


def bare_hunks(d: RealDiff, *, rng: random.Random, n: int) -> tuple[str, str, str]:
    """Only the hunks, in a ```diff fence, no ---/+++ lines: the request named the file."""
    body = [line for h in d.hunks for line in [hunk_header(h), *hunk_body(h)]]
    return "```diff\n" + "\n".join(body) + "\n```\n", d.old, d.new


def path_almost_right(d: RealDiff, *, rng: random.Random, n: int) -> tuple[str, str, str]:
    """Header paths with the project's name in front, or relative to the package's folder."""
    path = f"{d.package}/{d.path}" if n % 2 == 0 else d.path.split("/", 1)[-1]
    text = render(d.path, hunks=d.hunks)
    return text.replace(f"a/{d.path}", path, 1).replace(f"b/{d.path}", path, 1), d.old, d.new


def miscounted(d: RealDiff, *, rng: random.Random, n: int) -> tuple[str, str, str]:
    """Every hunk's header counts off by 1-3 (more or fewer than the body has); starts right."""
    hunks = []
    for h in d.hunks:
        old_len = max(0, h.old_len + rng.choice([-1, 1]) * rng.randint(1, 3))
        new_len = max(0, h.new_len + rng.choice([-1, 1]) * rng.randint(1, 3))
        hunks.append(replace(h, old_len=old_len, new_len=new_len))
    return render(d.path, hunks=tuple(hunks)), d.old, d.new


def cut_off(d: RealDiff, *, rng: random.Random, n: int) -> tuple[str, str, str]:
    """The reply stops inside its last hunk (fenced or bare, mid-line or at a line's end)."""
    text = render(d.path, hunks=d.hunks)
    body_start = text.rindex("\n@@") + 1
    body_start = text.index("\n", body_start) + 1
    cut = rng.randint(body_start, len(text) - 2)
    if n % 2:
        cut = text.rindex("\n", 0, cut + 1) + 1  # at a line's end
    reply = text[:cut]
    if n % 4 >= 2:
        reply = "```diff\n" + reply
    return reply, d.old, d.new


def hunks_out_of_order(d: RealDiff, *, rng: random.Random, n: int) -> tuple[str, str, str]:
    """The hunks in reverse file order (line numbers right)."""
    return render(d.path, hunks=tuple(reversed(d.hunks))), d.old, d.new


def hunk_repeated(d: RealDiff, *, rng: random.Random, n: int) -> tuple[str, str, str]:
    """One hunk given twice in a row."""
    k = rng.randrange(len(d.hunks))
    hunks = (*d.hunks[: k + 1], d.hunks[k], *d.hunks[k + 1 :])
    return render(d.path, hunks=hunks), d.old, d.new


def apply_patch_envelope(d: RealDiff, *, rng: random.Random, n: int) -> tuple[str, str, str]:
    """OpenAI's `*** Begin Patch` format: "@@" hunks without numbers, every other case with
    the nearest `def`/`class` line above as anchor, "*** End of File" where a hunk ends the file."""
    old_lines = d.old.split("\n")
    lines = ["*** Begin Patch", f"*** Update File: {d.path}"]
    for h in d.hunks:
        anchor = ""
        if n % 2:
            for k in range(h.old_start - 2, -1, -1):
                if old_lines[k].lstrip().startswith(("def ", "class ", "async def ")):
                    anchor = " " + old_lines[k].strip()
                    break
        lines.append("@@" + anchor)
        lines.extend(line for line in hunk_body(h) if not line.startswith("\\"))
        if h.old_start + h.old_len - 1 >= d.old.count("\n") + (not d.old.endswith("\n")):
            lines.append("*** End of File")
    lines.append("*** End Patch")
    return "\n".join(lines) + "\n", d.old, d.new


def whole_file(d: RealDiff, *, rng: random.Random, n: int) -> tuple[str, str, str]:
    """The whole new file in a ```python block instead of a diff; every other case without a path."""
    named = f"`{d.path}`:\n" if n % 2 == 0 else ""
    body = d.new if d.new.endswith("\n") else d.new + "\n"
    return f"Here is the updated file.\n\n{named}```python\n{body}```\n", d.old, d.new


def snippet(d: RealDiff, *, rng: random.Random, n: int) -> tuple[str, str, str]:
    """Only the changed part of the new file (its first hunk, ten lines either side) in a code
    block, as if it were the file: it cannot be placed, and must not replace the file."""
    h = d.hunks[0]
    lines = d.new.split("\n")
    lo = max(0, h.new_start - 11)
    part = "\n".join(lines[lo : h.new_start + h.new_len + 10]).rstrip("\n") + "\n"
    return f"Here is the change.\n\n`{d.path}`:\n```python\n{part}```\n", d.old, d.new


def _drift(line: str, *, rng: random.Random) -> str:
    """The line as a model may copy it: quotes swapped, or spacing inside it changed."""
    body = line.rstrip("\n")
    indent = body[: len(body) - len(body.lstrip())]
    rest = body[len(indent) :]
    roll = rng.random()
    if roll < 0.3 and "'" in rest and '"' not in rest:
        rest = rest.replace("'", '"')
    elif roll < 0.6 and ", " in rest:
        rest = rest.replace(", ", ",  ", 1)
    elif roll < 0.8:
        rest = rest + "  "
    return indent + rest


def search_replace_drift(d: RealDiff, *, rng: random.Random, n: int) -> tuple[str, str, str]:
    """SEARCH/REPLACE blocks, one per hunk, whose copied lines drifted: quotes swapped, spacing
    inside a line changed, trailing spaces; the model's own new lines are as it meant them."""
    parts = [f"{d.path}"]
    for h in d.hunks:
        search, replace_ = [], []
        for tag, text in h.lines:
            if tag == " ":
                copied = _drift(text, rng=rng)
                search.append(copied)
                replace_.append(copied)
            elif tag == "-":
                search.append(_drift(text, rng=rng))
            else:
                replace_.append(text.rstrip("\n"))
        parts += [
            "```python",
            "<<<<<<< SEARCH",
            *search,
            "=======",
            *replace_,
            ">>>>>>> REPLACE",
            "```",
        ]
    return "\n".join(parts) + "\n", d.old, d.new


def search_replace_elided(d: RealDiff, *, rng: random.Random, n: int) -> tuple[str, str, str]:
    """SEARCH/REPLACE blocks, one per hunk; where a hunk has unchanged lines between two
    changes, the block leaves them out with "# ... existing code ..." in both halves."""
    parts = [f"{d.path}"]
    for h in d.hunks:
        tags = [tag for tag, _ in h.lines]
        changed = [k for k, tag in enumerate(tags) if tag != " "]
        runs = [
            k for k in range(changed[0] + 1, changed[-1]) if tags[k] == " " and tags[k - 1] != " "
        ]
        cut: tuple[int, int] | None = None
        for k in runs:
            end = k
            while tags[end] == " ":
                end += 1
            if end - k >= 2:
                cut = (k, end)
                break
        search, replace_ = [], []
        for k, (tag, text) in enumerate(h.lines):
            line = text.rstrip("\n")
            if cut and cut[0] <= k < cut[1]:
                if k == cut[0]:
                    indent = line[: len(line) - len(line.lstrip())]
                    marker = indent + "# ... existing code ..."
                    search.append(marker)
                    replace_.append(marker)
                continue
            if tag != "+":
                search.append(line)
            if tag != "-":
                replace_.append(line)
        parts += [
            "```python",
            "<<<<<<< SEARCH",
            *search,
            "=======",
            *replace_,
            ">>>>>>> REPLACE",
            "```",
        ]
    return "\n".join(parts) + "\n", d.old, d.new


PERTURBATIONS: dict[str, Callable[..., tuple[str, str, str]]] = {
    "clean": clean,
    "prose around the diff": prose,
    "wrong line numbers": wrong_line_numbers,
    "missing line numbers": missing_line_numbers,
    "dropped context line": dropped_context,
    "extra context line": extra_context,
    "whitespace/indent drift": whitespace_drift,
    "CRLF": crlf,
    "hunk without @@ header": missing_hunk_header,
    "bare hunks, file named by the request": bare_hunks,
    "path almost right": path_almost_right,
    "counts wrong": miscounted,
    "tabs for spaces": tabs_for_spaces,
    "two-space indent": two_space_indent,
    "context off by a column": context_off_by_a_column,
    "hunks out of order": hunks_out_of_order,
    "hunk repeated": hunk_repeated,
    "apply_patch envelope": apply_patch_envelope,
    "whole file instead of a diff": whole_file,
    "SEARCH/REPLACE, copied lines drifted": search_replace_drift,
    "SEARCH/REPLACE with an elision": search_replace_elided,
    "cut off (refusal is right)": cut_off,
    "snippet as a whole file (refusal is right)": snippet,
}
REFUSAL_RIGHT = frozenset(
    {"cut off (refusal is right)", "snippet as a whole file (refusal is right)"}
)


def cases(diffs: list[RealDiff], *, seed: int) -> list[Case]:
    out = []
    for name, perturb in PERTURBATIONS.items():
        rng = random.Random(f"{seed}:{name}")
        for n, d in enumerate(diffs):
            reply, old, expected = perturb(d, rng=rng, n=n)
            out.append(Case(name, d, reply, old, expected, refusal_right=name in REFUSAL_RIGHT))
    return out
