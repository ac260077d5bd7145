"""Command: an `/evolve …` (or `@app …`) line in an issue or pull request comment, found without I/O.

`parse_commands` reads a comment body the way GitHub renders it, so that text a person sees as
code, a quotation or a hidden HTML comment never makes the bot act. It is deliberately
conservative: where Markdown is ambiguous (fences inside list items, lazy blockquote
continuation lines), it errs toward "not a command", because a missed command costs a retyped
line while a spurious one opens a pull request nobody asked for.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field

SIMPLE_COMMANDS = ("apply", "retry", "revert", "ignore", "why", "status", "help")
COMMAND_NAMES = ("rewrite", *SIMPLE_COMMANDS, "instruction", "invalid")
DEFAULT_GLOB = "**"

# A command line: the trigger, then the command text.
TRIGGER = re.compile(
    r"""
    ^[ \t]*                                  # leading whitespace is allowed
    (?:
        /evolve                              # the slash command
      | @(?P<mention>[a-z0-9][a-z0-9-]*)     # or a mention, checked against the app's slug...
        (?:\[bot\])?                         # ...with or without GitHub's [bot] suffix
        [:,]?                                # "@evolve-bot: apply" reads naturally too
    )
    (?=[ \t]|$)                              # a whole word: /evolvement is not a command
    [ \t]*
    (?P<rest>.*?)[ \t]*$                     # the command text, without surrounding blanks
    """,
    re.VERBOSE | re.IGNORECASE,
)

# A fenced code block's opening line: ``` or ~~~ (three or more), any info string.
FENCE_OPEN = re.compile(
    r"""
    ^[ \t]*                                  # any indent: fences inside list items count too
    (?:(?:[-*+]|\d{1,9}[.)])[ \t]+)*         # list markers in front of the fence
    (?P<fence>`{3,}|~{3,})                   # the fence itself; its length matters for closing
    (?P<info>.*)$                            # the info string (python, diff, ...), if any
    """,
    re.VERBOSE,
)

# A fenced code block's closing line: the same character, at least as many, nothing else.
FENCE_CLOSE = re.compile(
    r"""
    ^[ \t]*
    (?P<fence>`{3,}|~{3,})
    [ \t]*$                                  # a closing fence has no info string
    """,
    re.VERBOSE,
)

# A blockquote line, at any depth ("> > /evolve apply" is still a quotation).
QUOTE = re.compile(
    r"""
    ^[ \t]*>                                 # GitHub's "Quote reply" writes "> " lines
    """,
    re.VERBOSE,
)

# An HTML comment at the start of a line opens an HTML block that runs to the line with "-->".
HTML_COMMENT_BLOCK = re.compile(
    r"""
    ^[ \t]*<!--                              # blank lines inside do not end it; only "-->" does
    """,
    re.VERBOSE,
)

# A <pre> start tag, anywhere in a line: GitHub renders what follows as code, up to </pre>. At the
# start of a line it opens an HTML block (CommonMark "type 1", which may interrupt a paragraph and
# runs to the line holding the end tag, blank lines included); inside a line it is inline HTML whose
# content GitHub still shows as code. Both hide commands, like a fenced block.
PRE_OPEN = re.compile(
    r"""
    <pre                                     # the tag name, in any case...
    (?=[ \t>/]|$)                            # ...as a whole word: <prefix> is another tag
    """,
    re.VERBOSE | re.IGNORECASE,
)

# The end of a <pre> block: the line that holds its end tag closes it.
PRE_CLOSE = re.compile(
    r"""
    </pre[ \t]*>                             # the end tag, in any case
    """,
    re.VERBOSE | re.IGNORECASE,
)

# One run of backticks: code spans open and close with runs of the same length.
BACKTICK_RUN = re.compile(
    r"""
    `+                                       # ``a`b`` is one span containing a`b
    """,
    re.VERBOSE,
)

# A trailing `in <glob>` or `lang <language>` clause of a rewrite, peeled off from the end.
REWRITE_CLAUSE = re.compile(
    r"""
    (?:^|[ \t]+)                             # the clause starts the remainder or follows a blank
    (?P<keyword>in|lang)                     # which clause
    [ \t]+
    (?P<value>`[^`]+`|\S+)                   # one word, or anything in backticks
    [ \t]*$
    """,
    re.VERBOSE | re.IGNORECASE,
)

REWRITE_USAGE = (
    "Usage: `/evolve rewrite <pattern> -> <fix> [in <glob>] [lang <language>]`; "
    "wrap the pattern or fix in backticks when it contains `->` or spaces, for example "
    "`` /evolve rewrite `print($A)` -> `logger.info($A)` in src/**/*.py ``"
)
REWRITE_EMPTY = "rewrite needs a pattern and a fix."
REWRITE_NO_ARROW = "rewrite needs `->` between the pattern and the fix."
REWRITE_EMPTY_PATTERN = "rewrite needs a pattern before `->`."
REWRITE_EMPTY_FIX = "rewrite needs a fix after `->`."
REWRITE_UNCLOSED = "the {part} opens with {count} backtick{s} but nothing closes {them}."
REWRITE_STRAY = "unexpected {text!r} after the {part}."
REWRITE_TWICE = "`{keyword}` is given twice."
REWRITE_ERROR = "{problem} {usage}"

COMMAND_HELP: tuple[tuple[str, str, str], ...] = (
    (
        "rewrite",
        (
            "Open a pull request that rewrites every match of a structural (ast-grep) pattern. "
            "Wrap the pattern or the fix in backticks when it contains `->` or spaces; "
            "`in <glob>` limits the files, `lang <language>` names the language."
        ),
        "/evolve rewrite `print($A)` -> `logger.info($A)` in src/**/*.py",
    ),
    (
        "apply",
        "Go ahead with the change I proposed here and open its pull request.",
        "/evolve apply",
    ),
    (
        "retry",
        "Try this proposal again from the start, on the current default branch.",
        "/evolve retry",
    ),
    (
        "revert",
        "Open a pull request that reverts this merged pull request of mine.",
        "/evolve revert",
    ),
    ("ignore", "Drop this proposal; I will not propose it again.", "/evolve ignore"),
    ("why", "Explain why I proposed this change and how confident I am.", "/evolve why"),
    ("status", "Show what I am working on in this repository.", "/evolve status"),
    ("help", "Show this list.", "/evolve help"),
    (
        "instruction",
        (
            "An instruction in your words: I propose a pull request that does what it says "
            "(the rest of the line and the lines right below it)."
        ),
        "/evolve add type hints to bot/store.py",
    ),
)


def _help_text() -> str:
    lines = [
        "### evolve-bot commands",
        "",
        (
            "Write a command on a line of its own, starting with `/evolve` (or a mention of me). "
            "I act on the first command in a comment only. "
            "Only people with write access to this repository can run commands."
        ),
        "",
        "| Command | What it does | Example |",
        "| --- | --- | --- |",
    ]
    for name, description, example in COMMAND_HELP:
        shown = f"`` {example} ``" if "`" in example else f"`{example}`"
        label = "*anything else*" if name == "instruction" else f"`{name}`"
        lines.append(f"| {label} | {description.replace('|', '&#124;')} | {shown} |")
    return "\n".join(lines) + "\n"


HELP_TEXT = _help_text()

UNAUTHORIZED_TEXT = (
    "Only people with write access to this repository can ask me to act. "
    "I have done nothing with this comment; someone with write, maintain or admin permission "
    "can repeat the command if it should go ahead."
)


@dataclass(frozen=True)
class Command:
    """One command: `name` (see COMMAND_NAMES), its `args`, and `text` as the person wrote it."""

    name: str
    args: dict[str, str | None] = field(default_factory=dict)
    text: str = ""


def parse_commands(body: str, *, app_slug: str) -> list[Command]:
    """The command in a comment body: an empty list, or one Command.

    Only the first command line counts. One comment is one action: a reviewer who writes
    `/evolve apply` and, further down, `/evolve revert` would otherwise get two actions in an
    order they cannot see, and a retried webhook would repeat both.
    """
    for paragraph in _paragraphs(body):
        lines = _visible_lines(paragraph)
        for index, (text, hidden) in enumerate(lines):
            match = None if hidden else _trigger(text, app_slug=app_slug)
            if match is None:
                continue
            following: list[str] = []
            for next_text, next_hidden in lines[index + 1 :]:
                if not next_hidden and _trigger(next_text, app_slug=app_slug):
                    break  # a second command line ends the first command's text
                if next_text.strip():
                    following.append(next_text.strip())
            return [_command(match, following)]
    return []


def _trigger(line: str, *, app_slug: str) -> re.Match[str] | None:
    match = TRIGGER.match(line)
    if match is None:
        return None
    mention = match.group("mention")
    if mention is not None and (not app_slug or mention.lower() != app_slug.lower()):
        return None
    return match


def _command(match: re.Match[str], following: list[str]) -> Command:
    rest = match.group("rest")
    text = "\n".join([match.group(0).strip(), *following])
    if not rest:
        # "@evolve-bot" alone on a line, with the request on the lines below it.
        if following:
            return Command("instruction", {"instruction": "\n".join(following)}, text)
        return Command("help", {}, text)
    word, *after_words = rest.split(None, 1)
    name = word.lower()
    after = after_words[0].strip() if after_words else ""
    if name == "rewrite":
        return _rewrite(after, text=match.group(0).strip())
    if name in SIMPLE_COMMANDS:
        return Command(name, {"rest": after} if after else {}, match.group(0).strip())
    return Command("instruction", {"instruction": "\n".join([rest, *following])}, text)


def _rewrite(spec: str, *, text: str) -> Command:
    def invalid(problem: str) -> Command:
        return Command(
            "invalid", {"error": REWRITE_ERROR.format(problem=problem, usage=REWRITE_USAGE)}, text
        )

    if not spec:
        return invalid(REWRITE_EMPTY)
    if spec.startswith("`"):
        quoted = _take_quoted(spec)
        if quoted is None:
            return invalid(_unclosed("pattern", _leading_ticks(spec)))
        pattern, after = quoted
        if not after.lstrip().startswith("->"):
            if "->" not in after:
                return invalid(REWRITE_NO_ARROW)
            stray = after.split("->", 1)[0].strip()
            return invalid(REWRITE_STRAY.format(text=stray, part="pattern"))
        after = after.lstrip()[2:]
    else:
        if "->" not in spec:
            return invalid(REWRITE_NO_ARROW)
        pattern, after = spec.split("->", 1)
    pattern = pattern.strip()
    if not pattern:
        return invalid(REWRITE_EMPTY_PATTERN)

    after = after.strip()
    quoted_fix = after.startswith("`")
    if quoted_fix:
        quoted = _take_quoted(after)
        if quoted is None:
            return invalid(_unclosed("fix", _leading_ticks(after)))
        fix, remainder = quoted
    else:
        fix, remainder = "", after
    # Peel `in`/`lang` clauses off the end: of an unquoted fix, or of what follows a quoted one.
    clauses: dict[str, str] = {}
    while (clause := REWRITE_CLAUSE.search(remainder)) is not None:
        keyword = clause.group("keyword").lower()
        if keyword in clauses:
            return invalid(REWRITE_TWICE.format(keyword=keyword))
        clauses[keyword] = clause.group("value").strip("`").strip()
        remainder = remainder[: clause.start()]
    if not quoted_fix:
        fix = remainder
    elif remainder.strip():
        return invalid(REWRITE_STRAY.format(text=remainder.strip(), part="fix"))
    fix = fix.strip()
    if not fix:
        return invalid(REWRITE_EMPTY_FIX)
    language = clauses.get("lang")
    args: dict[str, str | None] = {
        "pattern": pattern,
        "fix": fix,
        "glob": clauses.get("in", DEFAULT_GLOB),
        "language": language.lower() if language else None,
    }
    return Command("rewrite", args, text)


def _unclosed(part: str, ticks: str) -> str:
    many = len(ticks) > 1
    return REWRITE_UNCLOSED.format(
        part=part, count=len(ticks), s="s" if many else "", them="them" if many else "it"
    )


def _take_quoted(text: str) -> tuple[str, str] | None:
    """Split "`a -> b` rest" into ("a -> b", " rest"); None when the backticks never close."""
    ticks = _leading_ticks(text)
    for closing in BACKTICK_RUN.finditer(text, len(ticks)):
        if len(closing.group()) == len(ticks):
            return text[len(ticks) : closing.start()].strip(), text[closing.end() :]
    return None


def _leading_ticks(text: str) -> str:
    return text[: len(text) - len(text.lstrip("`"))]


def _paragraphs(body: str) -> Iterator[list[str]]:
    """The body's paragraphs (runs of text lines), leaving out code, quotes and HTML comments.

    Code is fenced, indented, or inside `<pre>…</pre>`.
    """
    lines = body.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    paragraph: list[str] = []
    fence: str | None = None  # the open fence ("```", "~~~~", ...), until a line closes it
    in_html_comment = False
    in_pre = False  # inside <pre>, until a line with </pre>
    in_quote = False  # a blockquote's lines, plus its lazy continuation lines, until a blank line
    for line in lines:
        if fence is not None:
            closing = FENCE_CLOSE.match(line)
            if (
                closing
                and closing.group("fence")[0] == fence[0]
                and len(closing.group("fence")) >= len(fence)
            ):
                fence = None
            continue
        if in_html_comment:
            in_html_comment = "-->" not in line
            continue
        if in_pre:
            in_pre = PRE_CLOSE.search(line) is None
            continue
        if not line.strip():
            if paragraph:
                yield paragraph
            paragraph, in_quote = [], False
            continue
        indent = len(line.expandtabs(4)) - len(line.expandtabs(4).lstrip())
        if indent >= 4 and not paragraph and not in_quote:
            continue  # indented code: 4 spaces or a tab where a paragraph could not continue
        opening = FENCE_OPEN.match(line)
        pre = _pre_opening(line)
        if pre is not None and not opening:
            # The text before the tag is prose; the tag's line from it on, and the lines up to
            # the one holding </pre>, are code.
            in_pre = PRE_CLOSE.search(line, pre) is None
            if line[:pre].strip() and not in_quote:
                paragraph.append(line[:pre])
            in_quote = False
        elif opening and not (opening.group("fence")[0] == "`" and "`" in opening.group("info")):
            fence, in_quote = opening.group("fence"), False
        elif HTML_COMMENT_BLOCK.match(line):
            in_html_comment, in_quote = "-->" not in line.split("<!--", 1)[1], False
        elif QUOTE.match(line):
            in_quote = True
        elif not in_quote:
            paragraph.append(line)
            continue
        # A fence, HTML block or quotation ends the paragraph before it.
        if paragraph:
            yield paragraph
        paragraph = []
    if paragraph:
        yield paragraph


def _pre_opening(line: str) -> int | None:
    """Where a <pre> tag opens in this line, outside its code spans; None when none does."""
    spans = _code_spans(line)
    for tag in PRE_OPEN.finditer(line):
        if not any(low <= tag.start() < high for low, high in spans):
            return tag.start()
    return None


def _visible_lines(paragraph: list[str]) -> list[tuple[str, bool]]:
    """Each line without its inline HTML comments, and whether it starts inside code or a comment.

    Code spans and inline comments may run across lines of a paragraph, so both are found in
    the paragraph as a whole before it is cut back into lines.
    """
    text = "\n".join(paragraph)
    code = _code_spans(text)
    comments = _inline_comments(text, code=code)
    result: list[tuple[str, bool]] = []
    start = 0
    for line in paragraph:
        end = start + len(line)
        first = start + len(line) - len(line.lstrip())
        hidden = any(low <= first < high for low, high in (*code, *comments))
        pieces, position = [], start
        for low, high in comments:
            if high <= start or low >= end:
                continue
            pieces.append(text[position : max(low, position)])
            position = min(high, end)
        pieces.append(text[position:end])
        result.append(("".join(pieces), hidden))
        start = end + 1
    return result


def _code_spans(text: str) -> list[tuple[int, int]]:
    """Where inline code spans are: a run of N backticks up to the next run of exactly N."""
    runs = list(BACKTICK_RUN.finditer(text))
    spans: list[tuple[int, int]] = []
    index = 0
    while index < len(runs):
        opening = runs[index]
        closing = next(
            (
                later
                for later in range(index + 1, len(runs))
                if len(runs[later].group()) == len(opening.group())
            ),
            None,
        )
        if closing is None:
            index += 1  # an unmatched run is literal backticks
            continue
        spans.append((opening.start(), runs[closing].end()))
        index = closing + 1
    return spans


def _inline_comments(text: str, *, code: list[tuple[int, int]]) -> list[tuple[int, int]]:
    comments: list[tuple[int, int]] = []
    position = 0
    while (low := text.find("<!--", position)) >= 0:
        if any(start <= low < end for start, end in code):
            position = low + 4
            continue
        high = text.find("-->", low + 4)
        if high < 0:
            break  # never closed inside the paragraph: GitHub shows it as text
        comments.append((low, high + 3))
        position = high + 3
    return comments
