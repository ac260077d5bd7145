"""Command: which comment lines make the bot act, and what they ask for."""

from __future__ import annotations

import re

import pytest

from bot.commands import (
    COMMAND_HELP,
    COMMAND_NAMES,
    HELP_TEXT,
    REWRITE_USAGE,
    SIMPLE_COMMANDS,
    UNAUTHORIZED_TEXT,
    Command,
    parse_commands,
)
from bot.loop.commands import HANDLERS

SLUG = "evolve-bot"


def parse(body: str) -> list[Command]:
    return parse_commands(body, app_slug=SLUG)


def rewrite(
    pattern: str, fix: str, glob: str = "**", language: str | None = None, *, text: str
) -> Command:
    return Command(
        "rewrite", {"pattern": pattern, "fix": fix, "glob": glob, "language": language}, text
    )


def invalid(problem: str, *, text: str) -> Command:
    return Command("invalid", {"error": f"{problem} {REWRITE_USAGE}"}, text)


# --- simple commands --------------------------------------------------------------------------


@pytest.mark.parametrize("name", SIMPLE_COMMANDS)
def test_every_simple_command(name: str) -> None:
    assert parse(f"/evolve {name}") == [Command(name, {}, f"/evolve {name}")]


@pytest.mark.parametrize("name", SIMPLE_COMMANDS)
def test_extra_words_after_a_simple_command_are_kept(name: str) -> None:
    assert parse(f"/evolve {name} the second one please ") == [
        Command(name, {"rest": "the second one please"}, f"/evolve {name} the second one please")
    ]


TRIGGERS: list[tuple[str, list[Command]]] = [
    ("/evolve apply", [Command("apply", {}, "/evolve apply")]),
    ("   /evolve apply", [Command("apply", {}, "/evolve apply")]),
    ("/evolve\tapply", [Command("apply", {}, "/evolve\tapply")]),
    ("/EVOLVE Apply", [Command("apply", {}, "/EVOLVE Apply")]),
    ("@evolve-bot apply", [Command("apply", {}, "@evolve-bot apply")]),
    ("@Evolve-Bot revert", [Command("revert", {}, "@Evolve-Bot revert")]),
    ("@evolve-bot[bot] retry", [Command("retry", {}, "@evolve-bot[bot] retry")]),
    ("@EVOLVE-BOT[BOT] why", [Command("why", {}, "@EVOLVE-BOT[BOT] why")]),
    ("@evolve-bot: status", [Command("status", {}, "@evolve-bot: status")]),
    ("@evolve-bot, ignore", [Command("ignore", {}, "@evolve-bot, ignore")]),
    ("/evolve", [Command("help", {}, "/evolve")]),
    ("@evolve-bot", [Command("help", {}, "@evolve-bot")]),
    ("Thanks, looks good.\n/evolve apply", [Command("apply", {}, "/evolve apply")]),
    ("Thanks!\n\n/evolve apply\n\nCheers", [Command("apply", {}, "/evolve apply")]),
    ("/evolve apply <!-- from the review -->", [Command("apply", {}, "/evolve apply")]),
    ("/evolve apply ", [Command("apply", {}, "/evolve apply")]),
]


@pytest.mark.parametrize(("body", "expected"), TRIGGERS)
def test_triggers(body: str, expected: list[Command]) -> None:
    assert parse(body) == expected


NOT_TRIGGERS = [
    "",
    "Looks good to me.",
    "please /evolve apply",  # not at the start of the line
    "/evolvement is a word",  # word boundary
    "/evolve-apply",
    "/evolve:apply",
    "\\/evolve apply",
    "@evolve-botty apply",  # another app
    "@other-bot apply",
    "@evolve-bot[bots] apply",
    "evolve apply",
    "- /evolve apply",  # a list item is prose about the command
    # quotations, at any depth, and their lazy continuation lines
    "> /evolve apply",
    ">/evolve apply",
    "  > /evolve apply",
    "> > /evolve apply",
    ">> /evolve apply",
    "> On Monday you wrote:\n/evolve apply",
    # fenced code: backticks or tildes, any length, with or without an info string
    "```\n/evolve apply\n```",
    "```python\n/evolve apply\n```",
    "``` sh\n/evolve apply\n```",
    "~~~\n/evolve apply\n~~~",
    "~~~~ text\n/evolve apply\n~~~~",
    "`````\n/evolve apply\n```\n/evolve retry\n`````",  # a shorter fence does not close a longer one
    "~~~\n/evolve apply\n```\n/evolve retry\n~~~",  # nor does the other character
    "```\n/evolve apply",  # unclosed: code to the end of the comment
    "Try this:\n```\n/evolve apply\n```",  # a fence interrupts a paragraph
    "  ```\n  /evolve apply\n  ```",
    "- example:\n  ```\n  /evolve apply\n  ```",
    "- ```\n  /evolve apply\n  ```",
    "1. ```\n   /evolve apply\n   ```",
    # indented code: 4 spaces or a tab after a blank line (or at the start)
    "    /evolve apply",
    "\t/evolve apply",
    "Like this:\n\n    /evolve apply",
    "Like this:\n\n\t/evolve apply",
    "Like this:\n\n    git log\n\n    /evolve apply",  # blank lines inside the code block
    # inline code spans
    "`/evolve apply`",
    "``/evolve apply``",
    "Type `/evolve apply` to go ahead.",
    "Type `x and\n/evolve apply` to go ahead.",  # a span that runs across lines
    # HTML comments
    "<!-- /evolve apply -->",
    "  <!-- /evolve apply -->",
    "<!--\n/evolve apply\n-->",
    "<!--\n/evolve apply\n\n/evolve retry\n-->",  # blank lines do not end a comment
    "<!--\n/evolve apply",  # unclosed: hidden to the end
    "Note <!-- hidden\n/evolve apply -->",  # an inline comment across lines
]

# <pre> blocks: GitHub renders their lines as code, so a command inside is text (issue 21, item 5)
PRE_BLOCKS = [
    "<pre>\n/evolve apply\n</pre>",
    "<pre>/evolve apply</pre>",
    "<PRE>\n/evolve apply\n</PRE>",
    '<pre lang="sh">\n/evolve apply\n</pre>',
    "  <pre>\n/evolve apply\n</pre>",
    "<pre>\n\n/evolve apply\n\n/evolve retry\n</pre>",  # blank lines do not end it
    "Try this:\n<pre>\n/evolve apply\n</pre>",  # it interrupts a paragraph
    "Try this: <pre>\n/evolve apply\n</pre>",  # opened inside a line
    "<pre>\n/evolve apply",  # unclosed: code to the end of the comment
]
NOT_TRIGGERS += PRE_BLOCKS


@pytest.mark.parametrize("body", NOT_TRIGGERS)
def test_never_triggers(body: str) -> None:
    assert parse(body) == []


@pytest.mark.parametrize("body", NOT_TRIGGERS)
def test_never_triggers_with_crlf(body: str) -> None:
    assert parse(body.replace("\n", "\r\n")) == []


AFTER_HIDDEN = [
    ("```\n/evolve apply\n```\n/evolve retry", "retry"),
    ("~~~~\n/evolve apply\n~~~\n~~~~~\n/evolve why", "why"),  # a longer fence closes too
    ("> /evolve apply\n\n/evolve retry", "retry"),
    ("<!-- /evolve apply -->\n/evolve retry", "retry"),
    ("<!--\n/evolve apply\n-->\n/evolve retry", "retry"),
    ("> quoted\n<!-- note -->\n/evolve retry", "retry"),  # an HTML block ends the quotation
    ("> quoted\n```\n/evolve apply\n```\n/evolve retry", "retry"),  # and so does a fence
    ("Like this:\n\n    /evolve apply\n\n/evolve retry", "retry"),
    ("text\n    /evolve retry", "retry"),  # 4 spaces inside a paragraph are not code
    ("`a` and\n/evolve retry", "retry"),
    ("``unmatched\n/evolve retry", "retry"),  # backticks that never close are literal
    ("see ```code``` here\n/evolve retry", "retry"),  # a fence needs its own line
    ("<pre>\n/evolve apply\n</pre>\n/evolve retry", "retry"),
    ("<pre>/evolve apply</pre>\n\n/evolve retry", "retry"),
    ("Type `<pre>` to start code.\n/evolve retry", "retry"),  # a <pre> in a code span is text
    ("<prefix>\n/evolve retry", "retry"),  # another tag
]


@pytest.mark.parametrize(("body", "name"), AFTER_HIDDEN)
def test_commands_after_hidden_text_still_count(body: str, name: str) -> None:
    assert [command.name for command in parse(body)] == [name]


def test_the_mention_must_be_this_app() -> None:
    assert parse_commands("@another-app apply", app_slug="another-app") == [
        Command("apply", {}, "@another-app apply")
    ]
    assert parse_commands("@evolve-bot apply", app_slug="another-app") == []
    assert parse_commands("@evolve-bot apply", app_slug="") == []
    assert parse_commands("/evolve apply", app_slug="") == [Command("apply", {}, "/evolve apply")]


# --- one command per comment ------------------------------------------------------------------


def test_only_the_first_command_counts() -> None:
    body = "/evolve revert\n\n/evolve apply\n@evolve-bot retry"
    assert parse(body) == [Command("revert", {}, "/evolve revert")]


def test_a_command_line_ends_the_instruction_before_it() -> None:
    body = "/evolve add tests\nfor the store\n/evolve apply"
    assert parse(body) == [
        Command(
            "instruction",
            {"instruction": "add tests\nfor the store"},
            "/evolve add tests\nfor the store",
        )
    ]


# --- instructions -----------------------------------------------------------------------------

INSTRUCTIONS: list[tuple[str, str, str]] = [
    (
        "/evolve add type hints to bot/store.py",
        "add type hints to bot/store.py",
        "/evolve add type hints to bot/store.py",
    ),
    ("/evolve Rename `foo` to `bar`", "Rename `foo` to `bar`", "/evolve Rename `foo` to `bar`"),
    (
        "/evolve make the tests faster\nby sharing the database\n  between them\n\nThis part is not the instruction.",
        "make the tests faster\nby sharing the database\nbetween them",
        "/evolve make the tests faster\nby sharing the database\nbetween them",
    ),
    (
        "@evolve-bot\nfix the flaky test\nin CI",
        "fix the flaky test\nin CI",
        "@evolve-bot\nfix the flaky test\nin CI",
    ),
    (
        "/evolve drop the dead code <!-- ask Ann -->\nin utils",
        "drop the dead code\nin utils",
        "/evolve drop the dead code\nin utils",
    ),
    ("/evolve stop here\n```\ncode\n```", "stop here", "/evolve stop here"),
    ("/evolve stop here\n> a quote", "stop here", "/evolve stop here"),
    (
        "/evolve rewriting is not rewrite",
        "rewriting is not rewrite",
        "/evolve rewriting is not rewrite",
    ),
    ("/evolve applying is not apply", "applying is not apply", "/evolve applying is not apply"),
    (
        "/evolve make it so\r\nwith CRLF\r\n\r\nnot this",
        "make it so\nwith CRLF",
        "/evolve make it so\nwith CRLF",
    ),
]


@pytest.mark.parametrize(("body", "instruction", "text"), INSTRUCTIONS)
def test_instructions(body: str, instruction: str, text: str) -> None:
    assert parse(body) == [Command("instruction", {"instruction": instruction}, text)]


# --- rewrite ----------------------------------------------------------------------------------

REWRITES: list[tuple[str, Command]] = [
    (
        "/evolve rewrite print($A) -> logger.info($A)",
        rewrite(
            "print($A)", "logger.info($A)", text="/evolve rewrite print($A) -> logger.info($A)"
        ),
    ),
    (
        "/evolve rewrite `print($A)` -> `logger.info($A)` in src/**/*.py",
        rewrite(
            "print($A)",
            "logger.info($A)",
            "src/**/*.py",
            text="/evolve rewrite `print($A)` -> `logger.info($A)` in src/**/*.py",
        ),
    ),
    (
        "/evolve rewrite `$X == None` -> `$X is None` lang Python",
        rewrite(
            "$X == None",
            "$X is None",
            language="python",
            text="/evolve rewrite `$X == None` -> `$X is None` lang Python",
        ),
    ),
    (
        "/evolve rewrite `a` -> `b` in lib/** lang ts",
        rewrite("a", "b", "lib/**", "ts", text="/evolve rewrite `a` -> `b` in lib/** lang ts"),
    ),
    (
        "/evolve rewrite `a` -> `b` lang ts in lib/**",  # either order
        rewrite("a", "b", "lib/**", "ts", text="/evolve rewrite `a` -> `b` lang ts in lib/**"),
    ),
    (
        "/evolve rewrite `$F -> $G` -> `compose($F, $G)`",  # `->` inside backticks
        rewrite(
            "$F -> $G", "compose($F, $G)", text="/evolve rewrite `$F -> $G` -> `compose($F, $G)`"
        ),
    ),
    (
        "/evolve rewrite `a` -> `x -> y`",
        rewrite("a", "x -> y", text="/evolve rewrite `a` -> `x -> y`"),
    ),
    (
        "/evolve rewrite ```f(`$A`)``` -> ```g(`$A`)```",  # triple backticks hold single ones
        rewrite("f(`$A`)", "g(`$A`)", text="/evolve rewrite ```f(`$A`)``` -> ```g(`$A`)```"),
    ),
    (
        "/evolve rewrite ```a -> b``` -> c in `docs and notes/**`",
        rewrite(
            "a -> b",
            "c",
            "docs and notes/**",
            text="/evolve rewrite ```a -> b``` -> c in `docs and notes/**`",
        ),
    ),
    (
        "/evolve rewrite foo(a, b) -> bar(b, a) in *.js",  # spaces without backticks
        rewrite(
            "foo(a, b)", "bar(b, a)", "*.js", text="/evolve rewrite foo(a, b) -> bar(b, a) in *.js"
        ),
    ),
    (
        "/evolve rewrite `x` -> `[v for v in $X]`",  # " in " inside a quoted fix is not a clause
        rewrite("x", "[v for v in $X]", text="/evolve rewrite `x` -> `[v for v in $X]`"),
    ),
    (
        "/evolve rewrite a->b",
        rewrite("a", "b", text="/evolve rewrite a->b"),
    ),
    (
        "/evolve REWRITE a -> b IN src/** LANG Go",
        rewrite("a", "b", "src/**", "go", text="/evolve REWRITE a -> b IN src/** LANG Go"),
    ),
    (
        "@evolve-bot[bot] rewrite `a` -> `b`",
        rewrite("a", "b", text="@evolve-bot[bot] rewrite `a` -> `b`"),
    ),
    (
        "Please:\r\n/evolve rewrite `a -> b` -> `c`\r\nthanks",
        rewrite("a -> b", "c", text="/evolve rewrite `a -> b` -> `c`"),
    ),
]


@pytest.mark.parametrize(("body", "expected"), REWRITES)
def test_rewrite(body: str, expected: Command) -> None:
    assert parse(body) == [expected]


MALFORMED_REWRITES: list[tuple[str, str]] = [
    ("/evolve rewrite", "rewrite needs a pattern and a fix."),
    (
        "/evolve rewrite print($A) logger.info($A)",
        "rewrite needs `->` between the pattern and the fix.",
    ),
    ("/evolve rewrite `a -> b`", "rewrite needs `->` between the pattern and the fix."),
    ("/evolve rewrite -> x", "rewrite needs a pattern before `->`."),
    ("/evolve rewrite `` -> x", "the pattern opens with 2 backticks but nothing closes them."),
    ("/evolve rewrite ` ` -> x", "rewrite needs a pattern before `->`."),
    ("/evolve rewrite a ->", "rewrite needs a fix after `->`."),
    ("/evolve rewrite a -> in src/**", "rewrite needs a fix after `->`."),
    ("/evolve rewrite `a -> b", "the pattern opens with 1 backtick but nothing closes it."),
    (
        "/evolve rewrite ```a -> b` -> c",
        "the pattern opens with 3 backticks but nothing closes them.",
    ),
    ("/evolve rewrite a -> `b", "the fix opens with 1 backtick but nothing closes it."),
    ("/evolve rewrite `a` b -> c", "unexpected 'b' after the pattern."),
    ("/evolve rewrite `a` -> `b` and more", "unexpected 'and more' after the fix."),
    ("/evolve rewrite a -> b in x in y", "`in` is given twice."),
    ("/evolve rewrite a -> b lang go lang rust", "`lang` is given twice."),
]


@pytest.mark.parametrize(("body", "problem"), MALFORMED_REWRITES)
def test_malformed_rewrite_says_what_is_wrong_and_the_syntax(body: str, problem: str) -> None:
    assert parse(body) == [invalid(problem, text=body)]


def test_the_usage_shows_the_syntax_and_an_example_that_works() -> None:
    assert "`/evolve rewrite <pattern> -> <fix> [in <glob>] [lang <language>]`" in REWRITE_USAGE
    example = re.search(r"`` (.+) ``", REWRITE_USAGE)
    assert example is not None
    assert parse(example.group(1)) == [
        rewrite(
            "print($A)",
            "logger.info($A)",
            "src/**/*.py",
            text="/evolve rewrite `print($A)` -> `logger.info($A)` in src/**/*.py",
        )
    ]


# --- texts ------------------------------------------------------------------------------------


def test_help_lists_every_command_with_a_working_example() -> None:
    names = [name for name, _, _ in COMMAND_HELP]
    assert names == ["rewrite", *SIMPLE_COMMANDS, "instruction"]
    for name, description, example in COMMAND_HELP:
        assert description in HELP_TEXT.replace("&#124;", "|")
        assert example in HELP_TEXT
        [command] = parse(example)
        assert command.name == name, example


def test_help_is_a_markdown_table_with_a_row_per_command() -> None:
    rows = [
        line
        for line in HELP_TEXT.splitlines()
        if line.startswith("| ") and not line.startswith("| ---")
    ]
    assert len(rows) == 1 + len(COMMAND_HELP)
    assert all(row.count(" | ") == 2 for row in rows)


@pytest.mark.parametrize("text", [HELP_TEXT, UNAUTHORIZED_TEXT, REWRITE_USAGE])
def test_the_bots_own_texts_never_trigger_it(text: str) -> None:
    assert parse(text) == []


def test_unauthorized_text_says_who_can_and_that_nothing_happened() -> None:
    assert UNAUTHORIZED_TEXT.startswith(
        "Only people with write access to this repository can ask me to act."
    )
    assert "done nothing" in UNAUTHORIZED_TEXT
    assert "write, maintain or admin" in UNAUTHORIZED_TEXT


def test_every_command_has_its_handler() -> None:
    assert set(HANDLERS) == set(COMMAND_NAMES)
