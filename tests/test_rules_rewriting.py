"""The rewrite strategy: ast-grep patterns and fixes applied to files, previews as git diffs."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
from ast_grep_py import SgRoot

from bot.rules import (
    ItemMap,
    NameTable,
    RewriteError,
    RewriteRule,
    ValueSet,
    apply_rewrite,
    diff_line_count,
    language_for,
    pattern_problem,
    syntax_problems,
    unified_diff,
)
from bot.rules.patterns import SUPPORTED_LANGUAGES, canonical_language
from bot.rules.quotes import quote_variant_pairs
from bot.rules.rewriting import RewriteSite

# One valid program per supported language: proves the installed ast-grep-py really has the
# grammar (an unknown name panics) and that a valid file is not reported as unparsable.
VALID_PROGRAMS = {
    "python": "def f(a):\n    return a == None\n",
    "javascript": "const a = 1\nlet b = a\nconsole.log(<div>{b}</div>)\n",
    "typescript": "const a: number = 1\nfunction f<T>(x: T): T { return x }\n",
    "tsx": "const a = <div className='x'>{1}</div>\n",
    "rust": "fn main() {\n    let x: Option<u8> = None;\n    x.unwrap();\n}\n",
    "go": "package main\n\nfunc main() {\n\tx := 1\n\t_ = x\n}\n",
    "java": "class A { void m() { if (a == null) { b(); } } }\n",
    "c": "int main(void) { int x = 1; return x; }\n",
    "cpp": "#include <utility>\nint main() { auto x = std::move(1); return x; }\n",
    "ruby": "x = 1\nputs x\n",
    "kotlin": "fun main() {\n    val x = 1\n    println(x)\n}\n",
    "swift": "let x = 1\nprint(x)\n",
    "html": '<div class="a">hi</div>\n',
    "css": "a { color: red; }\n",
    "bash": 'x=1\necho "$x"\n',
    "json": '{"a": [1, 2]}\n',
    "yaml": "a: 1\nb: [1, 2]\n",
    "lua": "local x = 1\nprint(x)\n",
    "scala": "object A {\n  val x = 1\n}\n",
    "csharp": "class A { void M() { var x = 1; } }\n",
    "php": "<?php\n$x = 1;\necho $x;\n",
    "elixir": "defmodule A do\n  def f(x), do: x\nend\n",
    "haskell": "main :: IO ()\nmain = print 1\n",
    "hcl": 'resource "a" "b" {\n  x = 1\n}\n',
    "nix": "{ x = 1; }\n",
    "solidity": "contract A { function f() public {} }\n",
    "dart": "void main() { var x = a == null; print(x); }\n",
    "zig": 'const std = @import("std");\npub fn main() void {}\n',
    "markdown": "# Title\n\nSome *text*.\n",
}


def rule(
    pattern: str, fix: str, language: str | None = "python", glob: str | None = None
) -> RewriteRule:
    return RewriteRule(pattern=pattern, fix=fix, language=language, glob=glob)


# --- languages ------------------------------------------------------------------------------


def test_every_supported_language_has_a_real_grammar() -> None:
    assert set(VALID_PROGRAMS) == SUPPORTED_LANGUAGES
    for language, program in VALID_PROGRAMS.items():
        root = SgRoot(program, language).root()
        assert syntax_problems(root) == [], language
        assert root.text() == program


@pytest.mark.parametrize(
    ("path", "language"),
    [
        ("src/a.py", "python"),
        ("types/x.pyi", "python"),
        ("web/App.tsx", "tsx"),
        ("web/index.d.ts", "typescript"),
        ("web/a.mjs", "javascript"),
        ("src/lib.rs", "rust"),
        ("cmd/main.go", "go"),
        ("include/a.hpp", "cpp"),
        ("a.h", "c"),
        ("deploy/main.tf", "hcl"),
        ("ci.yml", "yaml"),
        ("SRC/UPPER.PY", "python"),
        ("Makefile", None),
        ("notes.txt", None),
        ("archive.tar.gz", None),
    ],
)
def test_language_for_reads_the_extension(path: str, language: str | None) -> None:
    assert language_for(path) == language


def test_language_aliases_and_unknown_languages() -> None:
    assert canonical_language("py") == "python"
    assert canonical_language("TypeScript") == "typescript"
    assert canonical_language("golang") == "go"
    assert rule("$X", "$X", language="rs").language == "rust"
    with pytest.raises(
        RewriteError, match="does not support the language 'cobol'; supported: bash, c, cpp"
    ):
        rule("$X", "$X", language="cobol")


# --- checking a rule ------------------------------------------------------------------------


def test_rule_checks_itself() -> None:
    with pytest.raises(RewriteError, match="the rewrite pattern is empty"):
        rule("  ", "x")
    with pytest.raises(
        RewriteError, match=r"uses \$_, which .*names starting with _ do not capture"
    ):
        rule("f($_)", "g($_)")
    with pytest.raises(RewriteError, match=r"\$\$\$REST"):
        rule("f($A)", "g($A, $$$REST)")
    with pytest.raises(
        RewriteError, match=r"the fix uses \$Y, which the pattern `\$X == None` does not capture"
    ):
        rule("$X == None", "$Y is None", language=None)
    with pytest.raises(RewriteError, match="is not a valid glob: it is empty"):
        rule("$X", "$X", glob=" ")
    with pytest.raises(RewriteError, match=r"`in src\\` is not a valid glob: Invalid git pattern"):
        rule("$X", "$X", glob="src\\")
    with pytest.raises(RewriteError, match="negated globs are not supported"):
        rule("$X == None", "$X is None", language=None, glob="!src/*.py")


# --- applying -------------------------------------------------------------------------------

FILES = {
    "src/a.py": "if a == None:\n    b = 1\n",
    "src/x/y/b.py": "def f(v):\n    return v == None or v.x == None\n",
    "src/c.py": "print('nothing to see')\n",
    "lib/d.py": "d == None\n",
    "top.py": "t == None\n",
    "src/e.js": "if (e == None) {}\n",
}


def test_rewrite_from_the_readme() -> None:
    result = apply_rewrite(
        FILES, rule("$X == None", "$X is None", language="python", glob="src/**/*.py")
    )
    assert result.changed == {
        "src/a.py": "if a is None:\n    b = 1\n",
        "src/x/y/b.py": "def f(v):\n    return v is None or v.x is None\n",
    }
    assert result.matches == {"src/a.py": 1, "src/x/y/b.py": 2}
    assert result.sites == (
        RewriteSite("src/a.py", 1, "a == None", "a is None"),
        RewriteSite("src/x/y/b.py", 2, "v == None", "v is None"),
        RewriteSite("src/x/y/b.py", 2, "v.x == None", "v.x is None"),
    )
    assert result.files_searched == 3  # the three Python files under src/
    assert result.unparsable == {} and result.not_allowed == ()
    assert result.describe() == "3 matches in 2 files"


def test_idempotent_rule_is_a_no_op_the_second_time() -> None:
    first = apply_rewrite(FILES, rule("$X == None", "$X is None"))
    assert set(first.changed) == {"src/a.py", "src/x/y/b.py", "lib/d.py", "top.py"}
    second = apply_rewrite({**FILES, **first.changed}, rule("$X == None", "$X is None"))
    assert second.changed == {} and second.matches == {} and second.sites == ()
    assert second.no_matches


def test_no_matches_is_a_result_not_an_error() -> None:
    result = apply_rewrite(FILES, rule("$X.has_key($K)", "$K in $X", glob="src/**/*.py"))
    assert result.no_matches and result.changed == {}
    assert result.files_searched == 3
    assert result.describe() == "no matches for `$X.has_key($K)` in src/**/*.py"
    assert apply_rewrite({}, rule("$X", "$X")).describe() == "no matches for `$X`"


def test_one_match_is_singular() -> None:
    assert (
        apply_rewrite({"a.py": "a == None\n"}, rule("$X == None", "$X is None")).describe()
        == "1 match in 1 file"
    )


def test_files_of_another_language_are_left_alone() -> None:
    result = apply_rewrite(FILES, rule("$X == None", "$X === None", language="javascript"))
    assert result.changed == {
        "src/e.js": "if (e === None) {}\n"
    }  # valid JS too, but only JS files change
    # The Python fix is not JavaScript: the rewrite refuses rather than break the file.
    with pytest.raises(RewriteError, match="the fix `\\$X is None` breaks src/e.js"):
        apply_rewrite(FILES, rule("$X == None", "$X is None", language="javascript"))


@pytest.mark.parametrize(
    ("pattern", "said"),
    [
        ("f(", r"it does not parse \(syntax error at line 1: `f\(`\)"),
        ("$X ==", "it does not parse"),
        ("def f(:\n    pass", r"missing `\)` at line 1"),
    ],
)
def test_invalid_pattern_is_a_readable_error(pattern: str, said: str) -> None:
    with pytest.raises(RewriteError) as caught:
        apply_rewrite(FILES, rule(pattern, "x"))
    message = str(caught.value)
    assert message.startswith(f"the pattern `{pattern}` is not valid python: ")
    assert "Stack backtrace" not in message
    assert caught.match(said)


def test_patterns_that_are_fragments_in_their_language_are_valid() -> None:
    # Java and Rust statements need a `;` the pattern leaves out; ast-grep matches them anyway.
    assert pattern_problem("System.out.println($A)", "java") is None
    assert pattern_problem("let $X = $Y", "rust") is None
    assert pattern_problem("def $F($$$P):\n    $$$B", "python") is None
    assert pattern_problem("if $E != nil { return $E }", "go") is None
    result = apply_rewrite(
        {"A.java": "class A { void m() { System.out.println(1 + 2); } }\n"},
        rule("System.out.println($A)", "logger.info($A)", language="java"),
    )
    assert result.changed == {"A.java": "class A { void m() { logger.info(1 + 2); } }\n"}


def test_inferred_languages_use_the_pattern_where_it_parses() -> None:
    files = {"a.js": "let x = 1\n", "b.py": "x = 1\n", "notes.txt": "let y = 2\n"}
    result = apply_rewrite(files, rule("let $X = $Y", "const $X = $Y", language=None))
    assert result.changed == {"a.js": "const x = 1\n"}
    assert set(result.pattern_rejected) == {"python"}
    assert "does not parse" in result.pattern_rejected["python"]
    assert result.files_searched == 1


def test_pattern_valid_in_no_language_in_scope_is_an_error() -> None:
    with pytest.raises(RewriteError) as caught:
        apply_rewrite({"a.py": "x\n", "b.rs": "fn main() {}\n"}, rule("f(", "g(", language=None))
    assert str(caught.value).startswith(
        "the pattern `f(` is not valid in any language of the files in scope:\n"
    )
    assert "- python: it does not parse" in str(caught.value)
    assert "- rust: it does not parse" in str(caught.value)


def test_unparsable_files_are_reported_and_left_alone() -> None:
    files = {"ok.py": "a == None\n", "broken.py": "def f(:\n    return a == None\n"}
    result = apply_rewrite(files, rule("$X == None", "$X is None"))
    assert result.changed == {"ok.py": "a is None\n"}
    assert result.unparsable == {"broken.py": "missing `)` at line 1"}
    broken_js = apply_rewrite(
        {"x.js": "if (a == null {\n"}, rule("$A == null", "$A === null", language="javascript")
    )
    assert list(broken_js.unparsable) == ["x.js"] and broken_js.changed == {}


def test_files_the_policy_refuses_are_listed_not_touched() -> None:
    files = {".github/workflows/x.py": "a == None\n", "src/a.py": "a == None\n"}
    result = apply_rewrite(
        files,
        rule("$X == None", "$X is None"),
        allowed=lambda path: not path.startswith(".github/"),
    )
    assert result.changed == {"src/a.py": "a is None\n"}
    assert result.not_allowed == (".github/workflows/x.py",)


@pytest.mark.parametrize(
    ("glob", "paths"),
    [
        ("src/**/*.py", {"src/a.py", "src/x/y/b.py", "src/c.py"}),
        ("*.py", {"src/a.py", "src/x/y/b.py", "src/c.py", "lib/d.py", "top.py"}),
        ("/*.py", {"top.py"}),
        ("lib/", {"lib/d.py"}),
        ("src/x/**", {"src/x/y/b.py"}),
    ],
)
def test_glob_scope(glob: str, paths: set[str]) -> None:
    # gitignore rules: no slash means any depth, a leading slash anchors, a trailing slash is a directory.
    assert {
        path
        for path in FILES
        if rule("$X", "$X", glob=glob).in_scope(path) and path.endswith(".py")
    } == paths


# --- rendering fixes ------------------------------------------------------------------------


def test_multi_metavariable_keeps_its_separators() -> None:
    files = {"a.py": "foo(1,  2,\n    3)\nfoo(x, y,)\n"}
    result = apply_rewrite(files, rule("foo($$$ARGS)", "bar($$$ARGS)"))
    assert result.changed == {"a.py": "bar(1,  2,\n    3)\nbar(x, y,)\n"}
    js = apply_rewrite(
        {"a.js": "console.log('a' ,  b)\nconsole.log()\n"},
        rule("console.log($$$A)", "logger.info($$$A)", language="js"),
    )
    assert js.changed == {"a.js": "logger.info('a' ,  b)\nlogger.info()\n"}


def test_nested_matches_are_rewritten_inside_the_outer_one() -> None:
    result = apply_rewrite({"a.py": "f(f(x))\nf(f(f(1)), f(2))\n"}, rule("f($A)", "g($A)"))
    # `f(a, b)` has two arguments: not a match, but the calls inside it are.
    assert result.changed == {"a.py": "g(g(x))\nf(g(g(1)), g(2))\n"}
    assert result.matches == {"a.py": 5}
    # One preview site per outermost edit.
    assert [(s.line, s.before, s.after) for s in result.sites] == [
        (1, "f(f(x))", "g(g(x))"),
        (2, "f(f(1))", "g(g(1))"),
        (2, "f(2)", "g(2)"),
    ]


def test_overlapping_match_outside_the_captures_is_overwritten() -> None:
    # `not not $X` matches at offsets 4, 8 and 12; the one at 8 overlaps the capture of the first.
    result = apply_rewrite({"a.py": "y = not not not not a\n"}, rule("not not $X", "bool($X)"))
    assert result.changed == {"a.py": "y = bool(bool(a))\n"}
    assert result.matches == {"a.py": 2}
    again = apply_rewrite(result.changed, rule("not not $X", "bool($X)"))
    assert again.no_matches


def test_fix_containing_its_pattern_runs_one_pass_only() -> None:
    result = apply_rewrite({"a.py": "print(x)\n"}, rule("print($A)", "print(print($A))"))
    assert result.changed == {"a.py": "print(print(x))\n"}
    assert result.matches == {"a.py": 1}


def test_capture_used_twice_counts_its_inner_matches_once() -> None:
    result = apply_rewrite({"a.py": "sq(sq(2))\n"}, rule("sq($A)", "($A) * ($A)"))
    assert result.changed == {"a.py": "((2) * (2)) * ((2) * (2))\n"}
    assert result.matches == {"a.py": 2}


def test_multi_line_fix_is_indented_like_the_match() -> None:
    files = {"a.py": "def f():\n    if x: y()\n"}
    result = apply_rewrite(files, rule("if $C: $$$B", "if $C:\n    log()\n    $$$B"))
    assert result.changed == {"a.py": "def f():\n    if x:\n        log()\n        y()\n"}


def test_text_around_non_ascii_is_spliced_correctly() -> None:
    files = {"a.py": "s = '😀 héllo' ; t = '日本' == None\n"}
    result = apply_rewrite(files, rule("$X == None", "$X is None"))
    assert result.changed == {"a.py": "s = '😀 héllo' ; t = '日本' is None\n"}


def test_fix_that_breaks_the_file_is_an_error_naming_the_site() -> None:
    files = {"a.py": "foo(1)\nfoo()\n"}
    with pytest.raises(RewriteError) as caught:
        apply_rewrite(files, rule("foo($$$ARGS)", "bar($$$ARGS, extra=1)"))
    assert str(caught.value) == (
        "the fix `bar($$$ARGS, extra=1)` breaks a.py: after rewriting line 2 (`foo()` -> `bar(, extra=1)`)"
        " the file has a syntax error (syntax error at line 2: `,`)"
    )
    assert files == {"a.py": "foo(1)\nfoo()\n"}


def test_skipping_breaking_files_leaves_them_alone_and_rewrites_the_rest() -> None:
    files = {"a.py": "foo(1)\nfoo()\n", "b.py": "foo(2)\n"}
    result = apply_rewrite(files, rule("foo($$$ARGS)", "bar($$$ARGS, extra=1)"), skip_breaking=True)
    assert result.changed == {"b.py": "bar(2, extra=1)\n"}
    assert result.matches == {"b.py": 1}  # a.py's matches were not rewritten
    assert list(result.breaking) == ["a.py"]
    assert result.breaking["a.py"].startswith("the fix `bar($$$ARGS, extra=1)` breaks a.py")


def test_a_match_never_drops_code_its_pattern_leaves_out() -> None:
    # ast-grep alone lets these patterns match nodes with more after them (ast-grep #2856): the
    # fix would delete the `elif` branch, the statement after `pass`, the one after `return 1`.
    code = (
        "def f(x):\n    if x:\n        return True\n    elif g(x):\n        return g\n"
        'class A(B):\n    """Doc."""\n    pass\n    size = 1\n'
        "def h():\n    return 1\n    unreachable()\n"
    )
    for pattern, fix in [
        ("if $A:\n    return True", "return bool($A)"),
        ('class $A($$$B):\n    """$C"""\n    pass', 'class $A($$$B):\n    """$C"""'),
        ("def $F():\n    return 1", "def $F():\n    return 2"),
    ]:
        assert apply_rewrite({"a.py": code}, rule(pattern, fix)).no_matches, pattern
    # Where the pattern spells out the whole node, it matches as before.
    exact = 'class A(B):\n    """Doc."""\n    pass\n'
    result = apply_rewrite(
        {"a.py": exact},
        rule('class $A($$$B):\n    """$C"""\n    pass', 'class $A($$$B):\n    """$C"""'),
    )
    assert result.changed["a.py"] == 'class A(B):\n    """Doc."""\n'


def test_a_match_whose_fix_would_drop_a_comment_is_left_alone_and_named() -> None:
    always = rule("if $A:\n    return True\nreturn False", "return bool($A)")
    code = (
        "def g(x):\n    if x:\n        return True  # the cache said so\n    return False\n"
        "def h(x):\n    if x:\n        return True\n    return False\n"
    )
    result = apply_rewrite({"a.py": code}, always)
    assert result.changed["a.py"] == code.replace(
        "if x:\n        return True\n    return False", "return bool(x)"
    )
    assert result.commented == (("a.py", 2),)
    assert result.match_count == 1
    # A comment the fix keeps (inside a capture) is no reason to leave a match alone.
    kept = apply_rewrite({"a.py": "x = f(a,  # why\n  b)\n"}, rule("f($$$A)", "g($$$A)"))
    assert kept.changed["a.py"] == "x = g(a,  # why\n  b)\n" and kept.commented == ()


def test_comments_are_found_in_grammars_that_name_them_otherwise() -> None:
    # Rust and Java have `line_comment` and `block_comment`, no `comment`: ast-grep refuses an
    # unknown kind, so looking for marked lines or dropped comments must not ask for it.
    code = "fn main() {\n    foo(x); // NOLINT\n    foo(y /* keep */);\n    foo(z);\n}\n"
    result = apply_rewrite(
        {"a.rs": code}, rule("foo($A)", "bar($A)", language="rust"), skip_marked=True
    )
    assert result.changed["a.rs"] == code.replace("foo(z)", "bar(z)")
    assert result.marked == (("a.rs", 2),) and result.commented == (("a.rs", 3),)


@pytest.mark.parametrize(
    ("pattern", "fix", "code", "expected"),
    [
        # Written bare, the capture would bind otherwise: `x + y.z`, `not a or b`.
        ('getattr($A, "$B")', "$A.$B", 'v = getattr(x + y, "z")\n', "v = (x + y).z\n"),
        (
            'getattr($A, "$B")',
            "$A.$B",
            'v = getattr(a if b else c, "d")\n',
            "v = (a if b else c).d\n",
        ),
        (
            "if $A:\n    return False\nreturn True",
            "return not $A",
            "def f(a, b):\n    if a or b:\n        return False\n    return True\n",
            "def f(a, b):\n    return not (a or b)\n",
        ),
        # Where it binds as it is, no parentheses are added.
        ('getattr($A, "$B")', "$A.$B", 'v = getattr(f(a)[0], "z")\n', "v = f(a)[0].z\n"),
        (
            "if $A:\n    return False\nreturn True",
            "return not $A",
            "def f(a, b):\n    if a < b:\n        return False\n    return True\n",
            "def f(a, b):\n    return not a < b\n",
        ),
        ("$A * 2", "$A + $A", "x = (a - b) * 2\n", "x = (a - b) + (a - b)\n"),
        # A fix of several lines is parsed at its own indentation.
        (
            "print($A)",
            "if $A:\n    log(not $A)",
            "def f():\n    print(a or b)\n",
            "def f():\n    if a or b:\n        log(not (a or b))\n",
        ),
    ],
)
def test_a_capture_keeps_its_meaning_where_the_fix_puts_it(
    pattern: str, fix: str, code: str, expected: str
) -> None:
    assert apply_rewrite({"a.py": code}, rule(pattern, fix)).changed["a.py"] == expected


def test_a_fix_keeps_its_meaning_where_the_match_was() -> None:
    # `s or 1` binds looser than `s.add(1)` did: bare, `not s or 1` would be `(not s) or 1`.
    result = apply_rewrite(
        {"a.py": "x = not s.add(1)\ny = s.add(2)\n"}, rule("$A.add($B)", "$A or $B")
    )
    assert result.changed["a.py"] == "x = not (s or 1)\ny = s or 2\n"
    assert [site.after for site in result.sites] == ["(s or 1)", "s or 2"]


def test_a_capture_over_several_lines_is_judged_where_it_sits_in_the_file() -> None:
    # Inside the call's brackets the two lines are one string; alone they would be two
    # statements, and parentheses would be added that the code does not need.
    code = "x = map(\n    f,\n    'a b '\n    'c d'.split(),\n)\n"
    result = apply_rewrite({"a.py": code}, rule("$A.split()", "$A.split(None)"))
    assert result.changed["a.py"] == code.replace(".split()", ".split(None)")


@pytest.mark.parametrize(
    ("pattern", "fix", "code", "expected", "language"),
    [
        # An `if` condition over several lines needed its parentheses; inside `bool(...)` they
        # are a pair too many.
        (
            "if $A:\n    return True\nreturn False",
            "return bool($A)",
            "def f(m):\n    if (\n        a in m\n        or b in m\n    ):\n"
            "        return True\n    return False\n",
            "def f(m):\n    return bool(\n        a in m\n        or b in m\n    )\n",
            "python",
        ),
        ("wrap($A)", "[$A]", "x = wrap((a or b))\n", "x = [a or b]\n", "python"),
        # Parentheses the fix's brackets do not double, a tuple's, and `(yield)` (a call's
        # argument must have them) stay.
        ("wrap($A)", "not $A", "x = wrap((a or b))\n", "x = not (a or b)\n", "python"),
        ("wrap($A)", "f($A)", "x = wrap((a, b))\n", "x = f((a, b))\n", "python"),
        (
            "wrap($A)",
            "f($A)",
            "def g():\n    wrap((yield))\n",
            "def g():\n    f((yield))\n",
            "python",
        ),
        # JavaScript's comma in parentheses is one expression; bare, two arguments.
        (
            "wrap($A)",
            "f($A)",
            "wrap((a, b));\nwrap((a || b));\n",
            "f((a, b));\nf(a || b);\n",
            "javascript",
        ),
    ],
)
def test_a_capture_loses_parentheses_the_fix_brackets_again(
    pattern: str, fix: str, code: str, expected: str, language: str
) -> None:
    path = "a.py" if language == "python" else "a.js"
    result = apply_rewrite({path: code}, rule(pattern, fix, language=language))
    assert result.changed[path] == expected


def test_a_capture_is_grouped_in_other_languages_too() -> None:
    code = "if (isEmpty(a || b)) { f(); }\nif (isEmpty(c)) {}\n"
    result = apply_rewrite(
        {"a.js": code}, rule("isEmpty($A)", "$A.length === 0", language="javascript")
    )
    assert result.changed["a.js"] == (
        "if ((a || b).length === 0) { f(); }\nif (c.length === 0) {}\n"
    )


# --- runs of statements ---------------------------------------------------------------------


def test_a_pattern_of_several_statements_rewrites_each_run_of_them_as_a_whole() -> None:
    always = rule("if $A:\n    return True\nreturn False", "return bool($A)")
    code = (
        "def f(x):\n    y = g(x)\n    if y and x:\n        return True\n    return False\n"
        "class C:\n    def m(self):\n        if self.ok:\n            return True\n"
        "        return False\n"
        # Not a run of the pattern: a comment between (the fix would drop it), another second
        # statement, an `if` with an `else`.
        "def h(x):\n    if x:\n        return True\n    # why\n    return False\n"
        "def k(x):\n    if x:\n        return True\n    return None\n"
        "def e(x):\n    if x:\n        return True\n    else:\n        x()\n    return False\n"
    )
    result = apply_rewrite({"a.py": code}, always)
    assert result.changed["a.py"] == code.replace(
        "if y and x:\n        return True\n    return False", "return bool(y and x)"
    ).replace("if self.ok:\n            return True\n        return False", "return bool(self.ok)")
    assert [(s.line, s.after) for s in result.sites] == [
        (3, "return bool(y and x)"),
        (8, "return bool(self.ok)"),
    ]
    assert result.sites[0].before == "if y and x:\n        return True\n    return False"


def test_the_statements_of_a_run_share_their_metavariables() -> None:
    inline = rule("$X = $A\nreturn $X", "return $A")
    code = "def f():\n    y = g()\n    return y\ndef k():\n    y = g()\n    return z\n"
    result = apply_rewrite({"a.py": code}, inline)
    assert (
        result.changed["a.py"] == "def f():\n    return g()\ndef k():\n    y = g()\n    return z\n"
    )


def test_a_run_marked_for_linters_on_any_of_its_lines_is_left_alone_when_asked() -> None:
    inline = rule("$X = $A\nreturn $X", "return $A")
    code = (
        "def f():\n    y = g()\n    return y  # noqa: RET504\ndef k():\n    y = g()\n    return y\n"
    )
    result = apply_rewrite({"a.py": code}, inline, skip_marked=True)
    assert result.marked == (("a.py", 2),)
    assert [s.line for s in result.sites] == [5]


def test_a_rule_over_several_statements_that_asks_for_more_is_refused() -> None:
    with pytest.raises(
        RewriteError, match="a rule over several statements cannot also be matched as"
    ):
        RewriteRule("$X = $A\nreturn $X", "return $A", "python", selector="return_statement")
    with pytest.raises(RewriteError, match="cannot also look names up in a table"):
        RewriteRule(
            "$X = $A\nreturn $X", "return $B", "python", table=NameTable("A", "B", (("f", "g"),))
        )


# --- previews -------------------------------------------------------------------------------


def git(cwd: Path, *args: str, stdin: str | None = None) -> str:
    done = subprocess.run(
        ["git", *args], check=False, cwd=cwd, input=stdin, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_unified_diff_applies_with_git(tmp_path: Path) -> None:
    old = {
        "src/a.py": "".join(f"line {i}\n" for i in range(20)),
        "no_newline.py": "x = 1\ny = 2",
        "gone.sql": "-- a comment\nselect 1;\n",
        "same.py": "same\n",
    }
    new: dict[str, str | None] = {
        "src/a.py": old["src/a.py"].replace("line 3\n", "line three\n").replace("line 15\n", ""),
        "no_newline.py": "x = 1\ny = 3",
        "gone.sql": None,
        "new/file.py": "print('new')\n",
        "same.py": "same\n",
    }
    git(tmp_path, "init", "-q")
    for path, content in old.items():
        (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / path).write_text(content)
    diff = unified_diff(old, new)
    assert diff.startswith(
        "diff --git a/gone.sql b/gone.sql\ndeleted file mode 100644\n--- a/gone.sql\n+++ /dev/null\n"
    )
    assert (
        "diff --git a/new/file.py b/new/file.py\nnew file mode 100644\n--- /dev/null\n+++ b/new/file.py\n"
        in diff
    )
    assert "-y = 2\n\\ No newline at end of file\n+y = 3\n\\ No newline at end of file\n" in diff
    assert "same.py" not in diff
    git(tmp_path, "apply", "--check", "-", stdin=diff)
    git(tmp_path, "apply", "-", stdin=diff)
    for path, content in new.items():
        if content is None:
            assert not (tmp_path / path).exists()
        else:
            assert (tmp_path / path).read_text() == content
    # +1/-1 in a.py for line 3, -1 for line 15, +1/-1 no_newline, -2 gone.sql, +1 new file.
    assert diff_line_count(old, new) == 2 + 1 + 2 + 2 + 1


def test_diff_of_a_rewrite_and_of_nothing() -> None:
    result = apply_rewrite(FILES, rule("$X == None", "$X is None", glob="src/a.py"))
    assert unified_diff(FILES, result.changed) == (
        "diff --git a/src/a.py b/src/a.py\n"
        "--- a/src/a.py\n"
        "+++ b/src/a.py\n"
        "@@ -1,2 +1,2 @@\n"
        "-if a == None:\n"
        "+if a is None:\n"
        "     b = 1\n"
    )
    assert diff_line_count(FILES, result.changed) == 2
    assert unified_diff(FILES, {}) == "" and diff_line_count(FILES, {}) == 0


def test_a_rule_with_places_rewrites_only_matches_that_sit_there() -> None:
    rule = RewriteRule(
        pattern="$A.keys()",
        fix="$A",
        language="python",
        inside=("for_statement.right", "comparison_operator"),
    )
    code = "for k in d.keys():\n    pass\nok = k in d.keys()\nview = d.keys()\n"
    result = apply_rewrite({"a.py": code}, rule)
    assert result.changed["a.py"] == "for k in d:\n    pass\nok = k in d\nview = d.keys()\n"
    assert result.match_count == 2
    assert rule.describe() == (
        "`$A.keys()` → `$A` (where the match is for_statement.right or comparison_operator)"
    )
    # The field matters: the loop variable is the for statement's `left`, not its `right`.
    left_only = RewriteRule(
        pattern="$A", fix="x", language="python", inside=("for_statement.left",)
    )
    assert apply_rewrite({"a.py": "for k in d:\n    pass\n"}, left_only).changed["a.py"] == (
        "for x in d:\n    pass\n"
    )


@pytest.mark.parametrize(
    "context", ["For_Statement", "for_statement.", "a.b.c", "", "for statement"]
)
def test_a_place_that_is_not_kind_or_kind_dot_field_is_refused(context: str) -> None:
    with pytest.raises(RewriteError, match="is not a place a match can sit"):
        RewriteRule(pattern="$A", fix="$A", inside=(context,))


def test_a_rule_with_a_selector_matches_the_pattern_as_that_kind_of_node() -> None:
    rule = RewriteRule(
        pattern="List[$A]", fix="list[$A]", language="python", selector="generic_type"
    )
    code = "def f(x: List[int]) -> List[str]:\n    return List[int]\n"
    result = apply_rewrite({"a.py": code}, rule)
    # The annotation's types change; `List[int]` as a value is a subscript and stays.
    assert result.changed["a.py"] == "def f(x: list[int]) -> list[str]:\n    return List[int]\n"
    assert rule.describe() == "`List[$A]` → `list[$A]` (as a generic_type)"


def test_a_statement_selector_matches_the_statement_with_nothing_after_the_pattern() -> None:
    # ast-grep alone would also match `return x` with the contextual pattern `return`.
    rule = RewriteRule(
        pattern="return", fix="return None", language="python", selector="return_statement"
    )
    code = "def f(x):\n    if x:\n        return\n    return x\n"
    result = apply_rewrite({"a.py": code}, rule)
    assert result.changed["a.py"] == code.replace("return\n", "return None\n", 1)


def test_an_interpolation_selector_rewrites_inside_f_strings_only() -> None:
    rule = RewriteRule(
        pattern="{repr($A)}", fix="{$A!r}", language="python", selector="interpolation"
    )
    code = 'a = f"<{repr(x)}> {repr(y)!s} {repr(z):>4}"\nb = {repr(w)}\n'
    result = apply_rewrite({"a.py": code}, rule)
    # `{repr(w)}` is a set; the other two interpolations convert or format already.
    assert result.changed["a.py"] == code.replace("{repr(x)}", "{x!r}")


def test_a_selector_the_pattern_cannot_be_is_a_clear_error() -> None:
    with pytest.raises(RewriteError, match="is not a `call` in any place python puts one"):
        apply_rewrite(
            {"a.py": "x = 1\n"},
            RewriteRule(pattern="List[$A]", fix="$A", language="python", selector="call"),
        )
    with pytest.raises(RewriteError, match="is not a node kind"):
        RewriteRule(pattern="List[$A]", fix="$A", selector="generic type")


# --- facts about captures ------------------------------------------------------------------


def test_a_rule_with_facts_rewrites_only_where_they_hold() -> None:
    rule = RewriteRule(
        pattern="$D.get($K, None)", fix="$D.get($K)", language="python", facts=("$D is a dict",)
    )
    code = "seen = {}\nother = load()\nseen.get(1, None)\nother.get(1, None)\n"
    result = apply_rewrite({"a.py": code}, rule)
    assert result.changed == {"a.py": code.replace("seen.get(1, None)", "seen.get(1)")}
    assert result.match_count == 1
    assert rule.describe() == "`$D.get($K, None)` → `$D.get($K)` (where $D is a dict)"


@pytest.mark.parametrize(
    ("facts", "language", "message"),
    [
        (("$D is a frozenset",), "python", "unknown fact '$D is a frozenset'"),
        (
            ("$X is a dict",),
            "python",
            "about a metavariable the pattern `$D.get($K, None)` does not capture",
        ),
        (
            ("$D is a dict",),
            "javascript",
            "read from Python code only; this rule's language is javascript",
        ),
        (("$D is a dict",), None, "read from Python code only; this rule's language is None"),
    ],
)
def test_a_fact_the_rule_cannot_check_is_refused(
    facts: tuple[str, ...], language: str | None, message: str
) -> None:
    with pytest.raises(RewriteError, match=re.escape(message)):
        RewriteRule(pattern="$D.get($K, None)", fix="$D.get($K)", language=language, facts=facts)


def test_an_either_quote_rule_matches_plain_strings_in_both_styles() -> None:
    rule = RewriteRule(pattern='getattr($A, "$B")', fix="$A.$B", language="python", any_quote=True)
    code = "getattr(g, 'run')\ngetattr(s, \"x\")\n"
    assert apply_rewrite({"a.py": code}, rule).changed == {"a.py": "g.run\ns.x\n"}
    assert rule.describe().endswith("(either quote style)")
    # As typed in `/evolve rewrite`, a rule matches the quotes it was written with.
    typed = RewriteRule(pattern='getattr($A, "$B")', fix="$A.$B", language="python")
    assert apply_rewrite({"a.py": code}, typed).changed == {"a.py": "getattr(g, 'run')\ns.x\n"}


def variants(pattern: str) -> tuple[str, ...]:
    return tuple(p for p, _ in quote_variant_pairs(pattern, ""))


def test_only_plain_strings_have_a_second_quote_style() -> None:
    assert variants("f($A, \"x\", 'y')") == (
        "f($A, \"x\", 'y')",
        "f($A, 'x', 'y')",
        'f($A, "x", "y")',
        "f($A, 'x', \"y\")",
    )
    # A prefix, triple quotes, a quote or a backslash inside: swapping could change the string.
    assert variants("f(b'x', '''y''', \"it's\", 'a\\\\n')") == (
        "f(b'x', '''y''', \"it's\", 'a\\\\n')",
    )


def test_either_quote_matching_is_refused_outside_python() -> None:
    with pytest.raises(RewriteError, match="either-quote matching is for Python strings only"):
        RewriteRule(pattern="f('x')", fix="g('x')", language="javascript", any_quote=True)


def test_an_either_quote_rule_keeps_the_quotes_it_matched() -> None:
    rule = RewriteRule('$A.get("$B", None)', '$A.get("$B")', "python", any_quote=True)
    code = "d.get('x', None)\nd.get(\"y\", None)\n"
    assert apply_rewrite({"a.py": code}, rule).changed == {"a.py": "d.get('x')\nd.get(\"y\")\n"}


# --- list rules: each item of a `$$$` capture ------------------------------------------------

KEYWORDS_TO_KEYS = ItemMap(
    name="ITEMS",
    pattern="$A=$B",
    context="dict($A=$B)",
    selector="keyword_argument",
    fix='"$A": $B',
)


def list_rule(**changes: object) -> RewriteRule:
    fields: dict[str, object] = {
        "pattern": "dict($$$ITEMS)",
        "fix": "{$$$ITEMS}",
        "language": "python",
        "each": KEYWORDS_TO_KEYS,
    }
    return RewriteRule(**(fields | changes))  # type: ignore[arg-type]


def test_a_list_rule_rewrites_each_item_and_keeps_what_lies_between() -> None:
    code = (
        "x = dict(  # options\n"
        "    a=1,  # one\n"
        "    b=f(2),\n"
        ")\n"
        "y = dict(c=dict( d=3 ))\n"
        "z = dict()\n"
        "w = dict(a=1, **kw)\n"
    )
    result = apply_rewrite({"a.py": code}, list_rule())
    assert result.changed["a.py"] == (
        "x = {  # options\n"
        '    "a": 1,  # one\n'
        '    "b": f(2),\n'
        "}\n"
        'y = {"c": { "d": 3 }}\n'
        "z = {}\n"
        # `**kw` is not a keyword: a match is rewritten only when every item fits the item pattern.
        "w = dict(a=1, **kw)\n"
    )
    assert [s.line for s in result.sites] == [1, 5, 6]
    assert list_rule().describe() == (
        '`dict($$$ITEMS)` → `{$$$ITEMS}` (each `$A=$B` in `$$$ITEMS` written `"$A": $B`)'
    )


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"language": None}, "a rule that rewrites each item of a list needs a language"),
        ({"fix": "{}"}, "do not both have `$$$ITEMS`"),
        (
            {"each": ItemMap("ITEMS", "$A=$B", "dict($K=$V)", "keyword_argument", "$A")},
            "the item pattern `$A=$B` is not part of its context `dict($K=$V)`",
        ),
        (
            {"each": ItemMap("ITEMS", "$A=$B", "dict($A=$B)", "pair", "$A")},
            "the item pattern `$A=$B` is not a `pair` in `dict($A=$B)`",
        ),
        (
            {"each": ItemMap("ITEMS", "$B", "dict(a=1, b=$B)", "keyword_argument", "$B")},
            "the item pattern `$B` is not a `keyword_argument` in `dict(a=1, b=$B)`",
        ),
        (
            {"each": ItemMap("ITEMS", "$A=$B", "dict($A=$B)", "keyword_argument", "$C")},
            "the item fix `$C` uses $C, which the item pattern `$A=$B` does not capture",
        ),
    ],
)
def test_a_list_rule_whose_item_map_cannot_work_is_refused(
    changes: dict[str, object], message: str
) -> None:
    with pytest.raises(RewriteError, match=re.escape(message)):
        list_rule(**changes)


def test_a_capture_between_brackets_keeps_the_line_breaks_inside_them() -> None:
    rule = RewriteRule(pattern="foo($$$A)", fix="bar($$$A)", language="python")
    code = "foo(\n    a,\n    b,\n)\nfoo()\nfoo( x )\n"
    assert apply_rewrite({"a.py": code}, rule).changed["a.py"] == (
        "bar(\n    a,\n    b,\n)\nbar()\nbar( x )\n"
    )
    # Other items inside the brackets: the capture is its nodes alone.
    tail = RewriteRule(pattern="foo(x, $$$A)", fix="bar($$$A)", language="python")
    assert apply_rewrite({"a.py": "foo(x, a, b)\nfoo(\n    x,\n    a,\n)\n"}, tail).changed[
        "a.py"
    ] == ("bar(a, b)\nbar(a,)\n")
    # Not between brackets in the fix: the capture is its nodes alone.
    spread = RewriteRule(pattern="foo($$$A)", fix="bar(1, $$$A)", language="python")
    assert apply_rewrite({"a.py": "foo(\n    a,\n)\n"}, spread).changed["a.py"] == ("bar(1, a,)\n")


@pytest.mark.parametrize(
    ("rest", "written"),
    [
        ("s = 'x'\nt = 'y'\nu = \"z\"\n", "'a'"),
        ('s = "x"\nt = \'y\'\nu = "z"\n', '"a"'),
        ("s = 'x'\nt = \"y\"\n", '"a"'),  # a tie: as the fix has it
    ],
)
def test_a_string_only_the_fix_writes_takes_the_quotes_most_of_the_file_uses(
    rest: str, written: str
) -> None:
    rule = RewriteRule(pattern="dict(a=$B)", fix='{"a": $B}', language="python", any_quote=True)
    assert rule.describe().endswith("(new strings in the file's quote style)")
    changed = apply_rewrite({"m.py": "d = dict(a=1)\n" + rest}, rule).changed["m.py"]
    assert changed == f"d = {{{written}: 1}}\n" + rest
    # As typed in `/evolve rewrite`, the fix is written as it is.
    typed = RewriteRule(pattern="dict(a=$B)", fix='{"a": $B}', language="python")
    assert (
        apply_rewrite({"m.py": "d = dict(a=1)\n" + rest}, typed)
        .changed["m.py"]
        .startswith('d = {"a": 1}')
    )


@pytest.mark.parametrize(
    ("path", "rule", "code", "left"),
    [
        (
            "a.py",
            RewriteRule(pattern='getattr($A, "$B")', fix="$A.$B", language="python"),
            'a = getattr(x, "y")  # noqa: B009\nb = getattr(x, "z")\nc = getattr(\n    x, "w"\n)  # NoQA\n',
            [1, 3],
        ),
        (
            "a.js",
            RewriteRule(pattern="var $A = $B", fix="let $A = $B", language="javascript"),
            "var a = 1; // eslint-disable-line no-var\nvar b = 2;\n",
            [1],
        ),
        (
            "a.c",
            RewriteRule(pattern="free($A);", fix="release($A);", language="c"),
            "void f(int *p) {\n  free(p); // NOLINT\n  free(p);\n}\n",
            [2],
        ),
    ],
)
def test_matches_on_lines_marked_for_linters_are_left_alone_when_asked(
    path: str, rule: RewriteRule, code: str, left: list[int]
) -> None:
    result = apply_rewrite({path: code}, rule, skip_marked=True)
    assert result.marked == tuple((path, line) for line in left)
    assert len(result.sites) == 1 and result.sites[0].line not in left
    # Unasked, every match is rewritten: a person's rewrite is what they typed.
    assert len(apply_rewrite({path: code}, rule).sites) == len(left) + 1


# --- name tables -----------------------------------------------------------------------------

FLAGS = NameTable(source="A", target="B", entries=(("I", "IGNORECASE"), ("X", "VERBOSE")))


def test_a_name_table_rule_renames_only_the_names_in_its_table() -> None:
    rule = RewriteRule(pattern="re.$A", fix="re.$B", language="python", table=FLAGS)
    code = "p = re.compile(s, re.I | re.X | re.M)\nq = other.I\n"
    result = apply_rewrite({"a.py": code}, rule)
    assert (
        result.changed["a.py"]
        == "p = re.compile(s, re.IGNORECASE | re.VERBOSE | re.M)\nq = other.I\n"
    )
    assert rule.describe() == (
        "`re.$A` → `re.$B` (`$B` by `$A`: `I` → `IGNORECASE`, `X` → `VERBOSE`)"
    )


@pytest.mark.parametrize(
    ("pattern", "fix", "table", "message"),
    [
        ("re.$C", "re.$B", FLAGS, "looks up $A, which the pattern `re.$C` does not capture"),
        ("$B.$A", "re.$B", FLAGS, "writes $B, which the pattern `$B.$A` captures already"),
        ("re.$A", "re.X", FLAGS, "writes $B, which the fix `re.X` does not have"),
        ("re.$A", "re.$B", NameTable("A", "B", ()), "the name table has no entries"),
        ("re.$A", "re.$B", NameTable("A", "B", (("I", "J"), ("I", "K"))), "has `I` twice"),
    ],
)
def test_a_name_table_that_does_not_fit_its_rule_is_a_clear_error(
    pattern: str, fix: str, table: NameTable, message: str
) -> None:
    with pytest.raises(RewriteError, match=re.escape(message)):
        RewriteRule(pattern=pattern, fix=fix, language="python", table=table)


def test_a_rule_has_a_name_table_or_an_item_map_not_both() -> None:
    each = ItemMap(name="ITEMS", pattern="$C", context="f($C)", selector="identifier", fix="$C")
    with pytest.raises(RewriteError, match="not both"):
        RewriteRule(
            pattern="$A.f($$$ITEMS)",
            fix="$B.f($$$ITEMS)",
            language="python",
            table=FLAGS,
            each=each,
        )


def test_a_bare_capture_held_to_a_name_table_replaces_only_those_names() -> None:
    table = NameTable(
        source="A", target="B", entries=(("IOError", "OSError"), ("socket.error", "OSError"))
    )
    rule = RewriteRule(pattern="$A", fix="$B", language="python", table=table)
    code = "try:\n    f()\nexcept (IOError, socket.error, ValueError):\n    raise SocketError()\n"
    result = apply_rewrite({"a.py": code}, rule)
    assert result.changed["a.py"] == code.replace("IOError, socket.error", "OSError, OSError")


READ_MODES = ValueSet(name="M", values=("r", "rt"))


def test_a_capture_held_to_values_matches_only_those_in_either_quote_style() -> None:
    rule = RewriteRule(
        pattern='open($A, "$M")', fix="open($A)", language="python", any_quote=True,
        values=(READ_MODES,),
    )  # fmt: skip
    code = "open(a, 'r')\nopen(b, \"rt\")\nopen(c, 'w')\nopen(d, 'rtx')\n"
    result = apply_rewrite({"a.py": code}, rule)
    assert result.changed["a.py"] == "open(a)\nopen(b)\nopen(c, 'w')\nopen(d, 'rtx')\n"
    assert "(`$M` one of `r`, `rt`)" in rule.describe()
    # A whole string captured is one value in either quote style too.
    held = ValueSet(name="M", values=('"r"',))
    whole = RewriteRule(pattern="open($A, $M)", fix="open($A)", language="python", values=(held,))
    assert apply_rewrite({"a.py": code}, whole).changed["a.py"] == code.replace(
        "open(a, 'r')", "open(a)"
    )


@pytest.mark.parametrize(
    ("pattern", "held", "message"),
    [
        ("open($A, $B)", READ_MODES, "`$M` is held to values, but the pattern `open($A, $B)`"),
        ("open($A, $$$M)", READ_MODES, "does not capture it as one node"),
        ("open($A, $M)", ValueSet(name="M", values=()), "`$M` is held to no values"),
    ],
)
def test_values_that_do_not_fit_their_rule_are_a_clear_error(
    pattern: str, held: ValueSet, message: str
) -> None:
    with pytest.raises(RewriteError, match=re.escape(message)):
        RewriteRule(pattern=pattern, fix="open($A)", language="python", values=(held,))


def test_a_rest_that_may_be_empty_matches_a_list_with_or_without_more_items() -> None:
    rule = RewriteRule(
        pattern="f($A, 0, $$$REST)", fix="f($A, $$$REST)", language="python", rest="REST"
    )
    code = "f(a, 0)\nf(b, 0, c, d=1)\nf(e, 1, 0)\nf(g, 0,)\n"
    result = apply_rewrite({"a.py": code}, rule)
    assert result.changed["a.py"] == "f(a)\nf(b, c, d=1)\nf(e, 1, 0)\nf(g)\n"
    assert rule.describe() == "`f($A, 0, $$$REST)` → `f($A, $$$REST)` (`$$$REST` may be empty)"
    # The first item deleted: the fix's list is then empty.
    first = RewriteRule(pattern="g(0, $$$REST)", fix="g($$$REST)", language="python", rest="REST")
    assert apply_rewrite({"a.py": "g(0)\ng(0, x)\n"}, first).changed["a.py"] == "g()\ng(x)\n"


@pytest.mark.parametrize(
    ("pattern", "fix"), [("f($A, $$$MORE)", "f($$$MORE)"), ("f($A, $$$REST)", "f($A)")]
)
def test_a_rest_the_rule_does_not_have_is_a_clear_error(pattern: str, fix: str) -> None:
    with pytest.raises(RewriteError, match=re.escape("`$$$REST` may be empty, but the pattern")):
        RewriteRule(pattern=pattern, fix=fix, language="python", rest="REST")


def test_a_held_string_content_that_looks_quoted_is_only_itself() -> None:
    # The content `'x'` (of the string `"'x'"`) is that text, not a string `'x'` in other quotes.
    held = ValueSet(name="M", values=("'x'",))
    rule = RewriteRule(pattern='f("$M")', fix="f()", language="python", values=(held,))
    code = 'f("\'x\'")\nf(\'"x"\')\nf("x")\n'
    assert apply_rewrite({"a.py": code}, rule).changed["a.py"] == 'f()\nf(\'"x"\')\nf("x")\n'
