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
}


def cases(diffs: list[RealDiff], *, seed: int) -> list[Case]:
    out = []
    for name, perturb in PERTURBATIONS.items():
        rng = random.Random(f"{seed}:{name}")
        for n, d in enumerate(diffs):
            reply, old, expected = perturb(d, rng=rng, n=n)
            out.append(Case(name, d, reply, old, expected))
    return out
