"""Patch strategies: what a rewrite does with files it would break, for a person and for the learner."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from bot.config import RepoConfig
from bot.proposals import Proposal, new_proposal
from bot.rules import Example, find_sites, learn_rules
from bot.strategies import NothingToChange, PatchFailed, rewrite

AT = dt.datetime(2026, 12, 3, tzinfo=dt.UTC)
# `foo()` has no arguments to carry: `bar(, extra=1)` would not parse.
FILES = {"a.py": "foo()\n", "b.py": "foo(2)\n"}
SPEC = {"pattern": "foo($$$A)", "fix": "bar($$$A, extra=1)", "language": "python"}


class Branch:
    """The default branch as a strategy reads it."""

    def __init__(self, files: dict[str, str]) -> None:
        self.files = files

    async def paths(self) -> list[str]:
        return sorted(self.files)

    async def read(self, paths: list[str]) -> dict[str, str | None]:
        return {p: self.files.get(p) for p in paths}


def proposal(kind: str, spec: dict[str, object]) -> Proposal:
    return new_proposal(
        kind=kind, repository="o/r", installation_id=1, title="t", rationale="r", spec=spec, at=AT
    )


async def test_a_learned_rule_leaves_a_file_it_would_break_alone_and_says_so() -> None:
    patch = await rewrite(proposal("learned_rule", SPEC), Branch(FILES), RepoConfig())
    assert patch.changes == {"b.py": "bar(2, extra=1)\n"}
    assert patch.summary.endswith(
        "Left alone, because the rewrite would leave them unparsable: `a.py`."
    )


async def test_a_learned_rule_that_would_break_every_file_it_matches_fails_with_why() -> None:
    with pytest.raises(PatchFailed, match=r"breaks a\.py: after rewriting line 1"):
        await rewrite(proposal("learned_rule", SPEC), Branch({"a.py": "foo()\n"}), RepoConfig())


async def test_a_persons_rewrite_that_would_break_a_file_is_refused_whole() -> None:
    with pytest.raises(PatchFailed, match=r"the fix `bar\(\$\$\$A, extra=1\)` breaks a\.py"):
        await rewrite(proposal("rewrite", SPEC), Branch(FILES), RepoConfig())


LIST_SPEC = {
    "pattern": "dict($$$ITEMS)",
    "fix": "{$$$ITEMS}",
    "language": "python",
    "any_quote": True,
    "each": {
        "name": "ITEMS",
        "pattern": "$A=$B",
        "context": "dict($A=$B)",
        "selector": "keyword_argument",
        "fix": '"$A": $B',
    },
}


async def test_a_learned_list_rule_rewrites_each_item_from_its_spec() -> None:
    files = {"a.py": "x = dict(a=1, b=2)\n", "b.py": "y = dict(**kw)\n"}
    patch = await rewrite(proposal("learned_rule", LIST_SPEC), Branch(files), RepoConfig())
    assert patch.changes == {"a.py": 'x = {"a": 1, "b": 2}\n'}


@pytest.mark.parametrize(
    ("each", "message"),
    [
        ({"name": "ITEMS", "pattern": "$A=$B"}, "missing 3 required positional arguments"),
        (LIST_SPEC["each"] | {"fix": "$C"}, "uses $C, which the item pattern `$A=$B` does not"),
    ],
)
async def test_a_list_rule_spec_that_does_not_hold_together_fails_with_why(
    each: dict[str, str], message: str
) -> None:
    spec = LIST_SPEC | {"each": each}
    with pytest.raises(PatchFailed, match=re.escape(message)):
        await rewrite(proposal("learned_rule", spec), Branch({"a.py": "dict(a=1)\n"}), RepoConfig())


GETATTR_SPEC = {"pattern": 'getattr($A, "$B")', "fix": "$A.$B", "language": "python"}
MARKED_FILES = {
    "a.py": 'x = getattr(o, "y")  # noqa: B009\nz = getattr(o, "w")\n',
    "b.py": 'v = getattr(  # NOQA\n    o, "u"\n)\n',
}


async def test_a_learned_rule_leaves_lines_marked_noqa_alone_and_names_them() -> None:
    patch = await rewrite(
        proposal("learned_rule", GETATTR_SPEC), Branch(MARKED_FILES), RepoConfig()
    )
    assert patch.changes == {"a.py": 'x = getattr(o, "y")  # noqa: B009\nz = o.w\n'}
    assert patch.summary.endswith(
        "Left alone, because a comment there tells linters to (`# noqa` or the like):"
        " `a.py:1`, `b.py:1`."
    )
    # Only marked lines to rewrite: nothing to change, and the reply says why.
    with pytest.raises(NothingToChange, match=re.escape("`b.py:1`")):
        await rewrite(
            proposal("learned_rule", GETATTR_SPEC),
            Branch({"b.py": MARKED_FILES["b.py"]}),
            RepoConfig(),
        )
    # A person's `/evolve rewrite` is what they asked for, marks or not; but no rewrite deletes
    # a comment: b.py's sits inside the call, which becomes `o.u`.
    patch = await rewrite(proposal("rewrite", GETATTR_SPEC), Branch(MARKED_FILES), RepoConfig())
    assert patch.changes == {"a.py": "x = o.y  # noqa: B009\nz = o.w\n"}
    assert patch.summary.endswith(
        "Left alone, because the fix would drop a comment there: `b.py:1`."
    )
    with pytest.raises(NothingToChange, match=re.escape("would drop a comment there: `b.py:1`")):
        await rewrite(
            proposal("rewrite", GETATTR_SPEC), Branch({"b.py": MARKED_FILES["b.py"]}), RepoConfig()
        )


RETURN_SPEC = {
    "pattern": "return",
    "fix": "return None",
    "language": "python",
    "selector": "return_statement",
    "facts": ["the function returns a value elsewhere"],
}


async def test_a_learned_rule_held_to_a_fact_about_its_function_rewrites_only_there() -> None:
    files = {
        "a.py": "def f(x):\n    if x:\n        return\n    return x\n",
        "b.py": "def g(x):\n    if x:\n        return\n    x.close()\n",
    }
    patch = await rewrite(proposal("learned_rule", RETURN_SPEC), Branch(files), RepoConfig())
    assert patch.changes == {"a.py": "def f(x):\n    if x:\n        return None\n    return x\n"}


TABLE_SPEC = {
    "pattern": "re.$A",
    "fix": "re.$B",
    "language": "python",
    "table": {"source": "A", "target": "B", "entries": [["I", "IGNORECASE"], ["X", "VERBOSE"]]},
}


async def test_a_learned_name_table_rule_renames_from_its_spec() -> None:
    files = {"a.py": "p = re.compile(s, re.I | re.M)\n", "b.py": "q = re.M\n"}
    patch = await rewrite(proposal("learned_rule", TABLE_SPEC), Branch(files), RepoConfig())
    assert patch.changes == {"a.py": "p = re.compile(s, re.IGNORECASE | re.M)\n"}


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ({"source": "A", "entries": [["I", "IGNORECASE"]]}, "is not a name table"),
        ({"source": "A", "target": "B", "entries": ["I"]}, "is not a name table"),
        ({"source": "A", "target": "B", "entries": []}, "the name table has no entries"),
    ],
)
async def test_a_name_table_spec_that_is_not_one_fails_with_why(
    table: dict[str, object], message: str
) -> None:
    spec = TABLE_SPEC | {"table": table}
    with pytest.raises(PatchFailed, match=re.escape(message)):
        await rewrite(proposal("learned_rule", spec), Branch({"a.py": "re.I\n"}), RepoConfig())


VALUES_SPEC = {
    "pattern": 'open($A, "$M")',
    "fix": "open($A)",
    "language": "python",
    "any_quote": True,
    "values": [{"name": "M", "values": ["r", "rt"]}],
}


async def test_a_learned_rule_drops_only_the_values_its_spec_holds() -> None:
    files = {"a.py": "open(p, 'r')\nopen(q, 'w')\n", "b.py": "open(p, 'wb')\n"}
    patch = await rewrite(proposal("learned_rule", VALUES_SPEC), Branch(files), RepoConfig())
    assert patch.changes == {"a.py": "open(p)\nopen(q, 'w')\n"}


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"name": "M", "values": ["r"]}, "a list was expected, not dict"),
        ([{"name": "M"}], "is not a list of held metavariables"),
        ([{"name": "M", "values": "r"}], "`values` of $M is not a list"),
        (["M"], "is not a list of held metavariables"),
        ([{"name": "M", "values": []}], "`$M` is held to no values"),
    ],
)
async def test_a_values_spec_that_is_not_one_fails_with_why(values: object, message: str) -> None:
    spec = VALUES_SPEC | {"values": values}
    with pytest.raises(PatchFailed, match=re.escape(message)):
        await rewrite(
            proposal("learned_rule", spec), Branch({"a.py": "open(p, 'r')\n"}), RepoConfig()
        )


async def test_a_learned_deletion_keeps_what_follows_from_its_spec() -> None:
    spec = VALUES_SPEC | {
        "pattern": 'open($A, "$M", $$$REST)',
        "fix": "open($A, $$$REST)",
        "rest": "REST",
    }
    files = {"a.py": "open(p, 'r')\nopen(q, 'rt', encoding=e)\nopen(s, 'w', encoding=e)\n"}
    patch = await rewrite(proposal("learned_rule", spec), Branch(files), RepoConfig())
    assert patch.changes == {"a.py": "open(p)\nopen(q, encoding=e)\nopen(s, 'w', encoding=e)\n"}
    spec["rest"] = "MORE"
    with pytest.raises(PatchFailed, match=re.escape("`$$$MORE` may be empty, but the pattern")):
        await rewrite(proposal("learned_rule", spec), Branch(files), RepoConfig())


def suggested(before: str, after: str, pr: int) -> Example:
    return Example(
        before=before, after=after, path="a.py", language="python", source="suggestion",
        author="ann", pr=pr, line=1,
    )  # fmt: skip


# Each kind of learned rule, as the learner writes its spec, and code where it applies.
LEARNED = {
    "held values, a rest": (
        [
            suggested("open(filepath, 'r')", "open(filepath)", 1),
            suggested('open(f, "rt", encoding=e)', "open(f, encoding=e)", 2),
        ],
        "open(a, 'r')\nopen(b, 'rt', newline='')\nopen(c, 'w', encoding=e)\n",
    ),
    "a name table": (
        [suggested("raise IOError", "raise OSError", 1), suggested("raise EnvironmentError", "raise OSError", 2)],
        "raise IOError\nraise ValueError\nraise EnvironmentError('x')\n",
    ),
    "each item": (
        [suggested("x = dict(a=1, b=y)", 'x = {"a": 1, "b": y}', 1), suggested("z = dict(c=2)", 'z = {"c": 2}', 2)],
        "w = dict(d=3, e=4, f=5)\n",
    ),
    "a fact": (
        [
            suggested("for k in headers.keys():\n    drop(k)", "for k in headers:\n    drop(k)", 1),
            suggested("for k in d.keys():\n    print(k)", "for k in d:\n    print(k)", 2),
        ],
        "for k in self.keys():\n    f(k)\nfor k in names.keys():\n    f(k)\n",
    ),
    "a run of statements": (
        [
            suggested("def f(x):\n    if x.ok:\n        return True\n    return False", "def f(x):\n    return bool(x.ok)", 1),
            suggested("def g(a, b):\n    g(a)\n    if a and b:\n        return True\n    return False", "def g(a, b):\n    g(a)\n    return bool(a and b)", 2),
        ],
        "def h(y):\n    if y > 1:\n        return True\n    return False\n",
    ),
}  # fmt: skip


@pytest.mark.parametrize("kind", list(LEARNED))
async def test_a_learned_rule_applied_from_its_spec_changes_what_the_learner_found(
    kind: str,
) -> None:
    examples, code = LEARNED[kind]
    [learned] = [r for r in learn_rules(examples) if r.kept]
    sites = find_sites(learned, {"a.py": code})
    assert sites.result.changed  # the rule applies here
    patch = await rewrite(
        proposal("learned_rule", sites.spec()), Branch({"a.py": code}), RepoConfig()
    )
    assert patch.changes == sites.result.changed
