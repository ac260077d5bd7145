"""Before/after figures: test summaries read from CI output, and the A/B judgement of a pull request."""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from bot.ab import (
    ABReport,
    CheckOutcome,
    TestFigures,
    compare,
    figures_from_output,
    parse_test_figures,
)
from bot.verdict import HeadCheck

SAMPLE_PYTEST_TESTS = """
import warnings
import pytest

def test_a(): pass
def test_b(): pass
def test_c(): pass
def test_fail(): assert 1 == 2
@pytest.mark.skip(reason="not here")
def test_skip(): pass
@pytest.mark.xfail
def test_xfail(): assert False
@pytest.mark.xfail
def test_xpass(): pass
@pytest.fixture
def broken(): raise RuntimeError("setup")
def test_error(broken): pass
def test_warn(): warnings.warn("careful")
"""
SAMPLE_UNITTEST_TESTS = """
import unittest

class T(unittest.TestCase):
    def test_ok(self): pass
    def test_fail(self): self.assertEqual(1, 2)
    def test_error(self): raise RuntimeError("boom")
    @unittest.skip("not here")
    def test_skip(self): pass
    @unittest.expectedFailure
    def test_xfail(self): self.assertEqual(1, 2)
"""


def run_python(tmp_path: Path, *args: str) -> str:
    """Run this interpreter in `tmp_path` with the outer pytest session's variables removed."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "COV_CORE_"))}
    done = subprocess.run(
        [sys.executable, *args],
        check=False,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    return done.stdout + done.stderr


def stated_seconds(output: str, pattern: str) -> float:
    m = re.search(pattern, output)
    assert m, output
    return float(m.group(1))


# --- pytest -----------------------------------------------------------------------------------


@pytest.mark.parametrize("quiet", [False, True])
def test_real_pytest_summary(tmp_path: Path, quiet: bool) -> None:
    (tmp_path / "pytest.ini").write_text("[pytest]\n")  # its own rootdir, not this project's
    (tmp_path / "test_sample.py").write_text(SAMPLE_PYTEST_TESTS)
    output = run_python(
        tmp_path,
        "-m",
        "pytest",
        "-p",
        "no:cacheprovider",
        *(["-q"] if quiet else []),
        "test_sample.py",
    )
    # Plugins in the environment may add warnings of their own; the warning count is not a figure.
    assert re.search(r"1 failed, 4 passed, 1 skipped, 1 xfailed, 1 xpassed, \d+ warnings?, 1 error in ", output)
    figures = parse_test_figures(output)
    # xpassed counts as passed and xfailed as skipped, as pytest's JUnit XML does.
    assert figures == TestFigures(
        passed=5,
        failed=1,
        skipped=2,
        errors=1,
        total=9,
        duration_seconds=stated_seconds(output, r" in (\d+\.\d+)s"),
    )


@pytest.mark.parametrize(
    ("output", "figures"),
    [
        ("5 passed, 1 failed, 2 skipped in 3.21s", TestFigures(5, 1, 2, 0, 8, 3.21)),
        (
            "============================== 10 passed in 0.5s ==============================",
            TestFigures(10, 0, 0, 0, 10, 0.5),
        ),
        (
            "============================ no tests ran in 0.01s =============================",
            TestFigures(0, 0, 0, 0, 0, 0.01),
        ),
        (
            "=== 2 failed, 3 errors, 4 deselected, 1 rerun, 7 warnings in 12.00s ===",
            TestFigures(0, 2, 0, 3, 5, 12.0),
        ),
        (
            "=========== 2 passed, 1 warning in 63.21s (0:01:03) ===========",
            TestFigures(2, 0, 0, 0, 2, 63.21),
        ),
        (
            "==================== 3 passed in 0.13 seconds ====================",
            TestFigures(3, 0, 0, 0, 3, 0.13),
        ),
        # Coloured, as with --color=yes, and with GitHub Actions' log timestamps.
        (
            "\x1b[32m============================== \x1b[32m\x1b[1m10 passed\x1b[0m\x1b[32m in 0.50s\x1b[0m\x1b[32m ===\x1b[0m",
            TestFigures(10, 0, 0, 0, 10, 0.5),
        ),
        (
            "2026-11-21T12:00:01.1234567Z ============ 1 failed, 9 passed in 4.20s ============",
            TestFigures(9, 1, 0, 0, 10, 4.2),
        ),
    ],
)
def test_pytest_summaries(output: str, figures: TestFigures) -> None:
    assert parse_test_figures("collected 10 items\n\n...\n" + output + "\n") == figures


def test_pytest_line_with_a_word_it_does_not_know_is_not_guessed() -> None:
    assert parse_test_figures("========= 3 passed, 2 subtests passed in 0.10s =========") is None


def test_tox_runs_add_up() -> None:
    output = "py311: commands[0]> pytest\n== 4 passed in 1.00s ==\npy312: commands[0]> pytest\n== 1 failed, 3 passed in 1.50s ==\n"
    assert parse_test_figures(output) == TestFigures(7, 1, 0, 0, 8, 2.5)


# --- unittest ---------------------------------------------------------------------------------


def test_real_unittest_summary(tmp_path: Path) -> None:
    (tmp_path / "test_unit.py").write_text(SAMPLE_UNITTEST_TESTS)
    output = run_python(tmp_path, "-m", "unittest", "test_unit")
    assert "FAILED (failures=1, errors=1, skipped=1, expected failures=1)" in output
    assert parse_test_figures(output) == TestFigures(
        passed=1,
        failed=1,
        skipped=2,
        errors=1,
        total=5,
        duration_seconds=stated_seconds(output, r"Ran 5 tests in (\d+\.\d+)s"),
    )


RULE = "-" * 70


@pytest.mark.parametrize(
    ("output", "figures"),
    [
        (f"......\n{RULE}\nRan 12 tests in 0.003s\n\nOK\n", TestFigures(12, 0, 0, 0, 12, 0.003)),
        (
            f"{RULE}\nRan 12 tests in 0.003s\n\nOK (skipped=2)\n",
            TestFigures(10, 0, 2, 0, 12, 0.003),
        ),
        (
            f"{RULE}\nRan 12 tests in 1.500s\n\nFAILED (failures=1, errors=2)\n",
            TestFigures(9, 1, 0, 2, 12, 1.5),
        ),
        (
            f"{RULE}\nRan 3 tests in 0.001s\n\nFAILED (unexpected successes=1)\n",
            TestFigures(2, 1, 0, 0, 3, 0.001),
        ),
        (f"{RULE}\nRan 1 test in 0.000s\n\nOK\n", TestFigures(1, 0, 0, 0, 1, 0.0)),
        (f"{RULE}\nRan 0 tests in 0.000s\n\nNO TESTS RAN\n", TestFigures(0, 0, 0, 0, 0, 0.0)),
        # Output cut off (a log tail limit): the total is known, the outcome is not.
        (f"{RULE}\nRan 12 tests in 0.003s\n", TestFigures(total=12, duration_seconds=0.003)),
    ],
)
def test_unittest_summaries(output: str, figures: TestFigures) -> None:
    assert parse_test_figures(output) == figures


# --- go test ----------------------------------------------------------------------------------

GO_VERBOSE_FAILING = """\
=== RUN   TestAdd
--- PASS: TestAdd (0.00s)
=== RUN   TestTable
=== RUN   TestTable/zero
=== RUN   TestTable/one
--- PASS: TestTable (0.00s)
    --- PASS: TestTable/zero (0.00s)
    --- PASS: TestTable/one (0.00s)
=== RUN   TestSub
    math_test.go:21: Sub(3, 1) = 1, want 2
--- FAIL: TestSub (0.00s)
=== RUN   TestWindows
    math_test.go:27: only on windows
--- SKIP: TestWindows (0.00s)
FAIL
FAIL\texample.com/calc\t0.004s
=== RUN   TestParse
--- PASS: TestParse (0.01s)
PASS
ok  \texample.com/calc/parse\t0.012s
?   \texample.com/calc/cmd\t[no test files]
FAIL
"""
GO_QUIET_PASSING = """\
ok  \texample.com/calc\t0.004s
ok  \texample.com/calc/parse\t(cached)
ok  \texample.com/calc/web\t1.250s\tcoverage: 81.2% of statements
?   \texample.com/calc/cmd\t[no test files]
"""
GO_QUIET_FAILING = """\
--- FAIL: TestSub (0.00s)
    math_test.go:21: Sub(3, 1) = 1, want 2
--- FAIL: TestMul (0.00s)
    math_test.go:30: Mul(2, 2) = 5, want 4
FAIL
FAIL\texample.com/calc\t0.004s
# example.com/calc/web
web/server.go:12:2: undefined: handler
FAIL\texample.com/calc/web [build failed]
ok  \texample.com/calc/parse\t0.010s
FAIL
"""


def test_go_verbose_counts_top_level_tests() -> None:
    # Subtests are not counted: `go test -v` reports them under their parent.
    assert parse_test_figures(GO_VERBOSE_FAILING) == TestFigures(3, 1, 1, 0, 5, 0.016)


def test_go_without_verbose_knows_failures_only() -> None:
    assert parse_test_figures(GO_QUIET_PASSING) == TestFigures(
        failed=0, errors=0, duration_seconds=1.254
    )
    assert parse_test_figures(GO_QUIET_FAILING) == TestFigures(
        failed=2, errors=1, duration_seconds=0.014
    )


# --- jest -------------------------------------------------------------------------------------

JEST_FAILING = """\
PASS src/sum.test.js
FAIL src/broken.test.js
  ● broken › adds

    expect(received).toBe(expected) // Object.is equality

    Expected: 5
    Received: 4

      3 | test('adds', () => {
    > 4 |   expect(1 + 3).toBe(5);
        |                 ^

Test Suites: 1 failed, 1 passed, 2 total
Tests:       1 failed, 5 passed, 6 total
Snapshots:   0 total
Time:        1.2 s
Ran all test suites.
"""
JEST_SKIPPING = """\
Test Suites: 1 skipped, 3 passed, 3 of 4 total
Tests:       2 skipped, 1 todo, 12 passed, 15 total
Snapshots:   1 passed, 1 total
Time:        3.456 s, estimated 4 s
Ran all test suites.
"""


def test_jest_summaries() -> None:
    assert parse_test_figures(JEST_FAILING) == TestFigures(5, 1, 0, 0, 6, 1.2)
    assert parse_test_figures(JEST_SKIPPING) == TestFigures(12, 0, 3, 0, 15, 3.456)
    assert parse_test_figures("Tests:       4 passed, 4 total\nTime:        0.9s\n") == TestFigures(
        4, 0, 0, 0, 4, 0.9
    )
    assert parse_test_figures("Tests:       4 passed, 4 total\n") == TestFigures(
        4, 0, 0, 0, 4, None
    )


# --- cargo test (captured from cargo 1.9x) ------------------------------------------------------

CARGO_FAILING = """\
running 4 tests
test tests::adds ... ok
test tests::slow ... ignored
test tests::adds_zero ... ok
test tests::wrong ... FAILED

failures:

---- tests::wrong stdout ----

thread 'tests::wrong' (19099) panicked at src/lib.rs:7:26:
assertion `left == right` failed
  left: 4
 right: 5
note: run with `RUST_BACKTRACE=1` environment variable to display a backtrace


failures:
    tests::wrong

test result: FAILED. 2 passed; 1 failed; 1 ignored; 0 measured; 0 filtered out; finished in 0.08s

error: test failed, to rerun pass `--lib`
"""
CARGO_PASSING = """\
    Finished `test` profile [unoptimized + debuginfo] target(s) in 0.20s
     Running unittests src/lib.rs (target/debug/deps/abcrate-628f06852c803584)

running 3 tests
test tests::adds ... ok
test tests::adds_zero ... ok
test tests::slow ... ignored

test result: ok. 2 passed; 0 failed; 1 ignored; 0 measured; 0 filtered out; finished in 0.00s

   Doc-tests abcrate

running 1 test
test src/lib.rs - add (line 1) ... ok

test result: ok. 1 passed; 0 failed; 0 ignored; 0 measured; 0 filtered out; finished in 0.00s

all doctests ran in 0.22s; merged doctests compilation took 0.22s
"""


def test_cargo_summaries() -> None:
    assert parse_test_figures(CARGO_FAILING) == TestFigures(2, 1, 1, 0, 4, 0.08)
    # One result line per test binary, added up.
    assert parse_test_figures(CARGO_PASSING) == TestFigures(3, 0, 1, 0, 4, 0.0)
    old_cargo = "test result: ok. 7 passed; 0 failed; 0 ignored; 0 measured; 2 filtered out\n"
    assert parse_test_figures(old_cargo) == TestFigures(7, 0, 0, 0, 7, None)


# --- plain and nothing ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("output", "figures"),
    [
        ("5 passed, 1 failed", TestFigures(5, 1, 0, 0, 6, None)),
        ("**12 passed, 2 skipped, 1 error**", TestFigures(12, 0, 2, 1, 15, None)),
        ("Results:\n  3 passed, 0 failed\n", TestFigures(3, 0, 0, 0, 3, None)),
    ],
)
def test_plain_counts(output: str, figures: TestFigures) -> None:
    assert parse_test_figures(output) == figures


@pytest.mark.parametrize(
    "output",
    [
        None,
        "",
        "Build succeeded",
        "All 5 passed checks are green",
        "Tests: 3 passed",
        "Run 3 tests, 1 failed to start",
        "lint: 0 problems",
    ],
)
def test_nothing_recognised_is_none(output: str | None) -> None:
    assert parse_test_figures(output) is None


def test_runner_summary_wins_over_plain_counts() -> None:
    # The plain line is a report's restatement; the runner's own summary is what counts.
    output = "== 4 passed in 1.00s ==\nsummary: 4 passed, 0 failed\n"
    assert parse_test_figures(output) == TestFigures(4, 0, 0, 0, 4, 1.0)


def test_unknown_parts_stay_unknown_when_added() -> None:
    mixed = GO_QUIET_PASSING + "== 4 passed in 1.00s ==\n"
    assert parse_test_figures(mixed) == TestFigures(None, 0, None, 0, None, 2.254)


def test_figures_from_output_counts_once() -> None:
    summary = "## Tests\n= 1 failed, 9 passed in 3.20s ="
    text = "... full log ...\n= 1 failed, 9 passed in 3.20s =\n"
    assert figures_from_output(summary, text) == TestFigures(9, 1, 0, 0, 10, 3.2)
    assert figures_from_output("The build ran.", text) == TestFigures(9, 1, 0, 0, 10, 3.2)
    assert figures_from_output(None, None) is None


# --- comparing --------------------------------------------------------------------------------


def outcome(name: str, conclusion: str | None = "success", passed: int | None = 10, failed: int | None = 0,
            *, errors: int | None = 0, seconds: float | None = 3.0, duration: float | None = 40.0) -> CheckOutcome:  # fmt: skip
    figures = TestFigures(
        passed,
        failed,
        0,
        errors,
        None if passed is None or failed is None else passed + failed,
        seconds,
    )
    return CheckOutcome(name, conclusion, figures, duration)


@pytest.mark.parametrize(
    ("before", "after", "judgement", "reason"),
    [
        (outcome("t"), outcome("t"), "same", "no change"),
        (
            outcome("t"),
            outcome("t", seconds=9.0, duration=90.0),
            "same",
            "no change",
        ),  # time is never judged
        (outcome("t"), outcome("t", "failure", 9, 1), "worse", "success → failure"),
        (outcome("t"), outcome("t", "success", 10, 1), "worse", "failed 0 → 1"),
        (outcome("t"), outcome("t", "success", 10, 0, errors=2), "worse", "errors 0 → 2"),
        (outcome("t"), outcome("t", "success", 8, 0), "worse", "passed 10 → 8"),
        (outcome("t", "failure", 9, 1), outcome("t"), "better", "failure → success"),
        (outcome("t", "failure", 8, 2), outcome("t", "failure", 9, 1), "better", "failed 2 → 1"),
        (outcome("t"), outcome("t", "success", 12, 0), "better", "passed 10 → 12"),
        (outcome("t", "failure", 8, 2), outcome("t", "failure", 7, 3), "worse", "failed 2 → 3"),
        (
            outcome("t", "success", None, None),
            outcome("t", "failure", None, None),
            "worse",
            "success → failure",
        ),
        (
            outcome("t", "success", None, None),
            outcome("t", "success", None, None),
            "same",
            "no change",
        ),
        (
            outcome("t", "skipped", None, None),
            outcome("t", "neutral", None, None),
            "same",
            "no change",
        ),
        (outcome("t"), None, "unknown", "not run after"),
        (None, outcome("t"), "unknown", "not run before"),
        (outcome("t"), outcome("t", None), "unknown", "not finished"),
    ],
)
def test_check_judgements(
    before: CheckOutcome | None, after: CheckOutcome | None, judgement: str, reason: str
) -> None:
    report = compare([before] if before else [], [after] if after else [])
    assert [(c.judgement, c.reason) for c in report.checks] == [(judgement, reason)]
    assert report.judgement == judgement


def test_overall_judgement() -> None:
    assert compare([], []).judgement == "unknown"
    assert compare([outcome("a"), outcome("b")], [outcome("a"), outcome("b")]).judgement == "same"
    better = compare([outcome("a"), outcome("b", "failure", 9, 1)], [outcome("a"), outcome("b")])
    assert better.judgement == "better"
    # A regression anywhere is a regression, even next to checks that cannot be compared.
    worse = compare([outcome("a"), outcome("b")], [outcome("a", "failure", 9, 1), outcome("c")])
    assert [c.judgement for c in worse.checks] == ["worse", "unknown", "unknown"]
    assert worse.judgement == "worse"
    # A check that disappeared could hide a regression.
    assert (
        compare([outcome("a"), outcome("b")], [outcome("a", "success", 11, 0)]).judgement
        == "unknown"
    )


def test_own_check_is_left_out_and_duplicates_are_refused() -> None:
    report = compare([outcome("tests")], [outcome("tests"), outcome("evolve", None)])
    assert [c.name for c in report.checks] == ["tests"] and report.judgement == "same"
    with pytest.raises(
        ValueError, match="check 'tests' appears more than once in the after outcomes"
    ):
        compare([outcome("tests")], [outcome("tests"), outcome("tests", "failure")])


def test_deltas() -> None:
    report = compare([outcome("t", "success", 10, 0, seconds=3.0, duration=40.0)],
                     [outcome("t", "failure", 9, 2, seconds=3.5, duration=42.0)])  # fmt: skip
    assert report.checks[0].deltas == {
        "passed": -1, "failed": 2, "skipped": 0, "errors": 0, "total": 1, "test_seconds": 0.5, "check_seconds": 2.0,
    }  # fmt: skip
    lone = compare([], [outcome("t")]).checks[0].deltas
    assert set(lone.values()) == {None}


def test_markdown_table() -> None:
    before = [
        outcome("tests", "success", 10, 0, seconds=3.21, duration=41.0),
        outcome("lint|style", "success", None, None),
    ]
    after = [outcome("tests", "failure", 9, 1, seconds=3.5, duration=45.0), outcome("lint|style", "success", None, None),
             CheckOutcome("docs", "success", None, 12.0)]  # fmt: skip
    assert compare(before, after).to_markdown() == (
        "**A/B: worse**\n"
        "\n"
        "| Check | Conclusion | Passed | Failed | Skipped | Errors | Test time | Check time | |\n"
        "|---|---|---|---|---|---|---|---|---|\n"
        "| tests | success → failure | 10 → 9 (−1) | 0 → 1 (+1) | 0 | 0 | 3.21s → 3.50s (+0.29s) | 41.00s → 45.00s (+4.00s) | worse: success → failure |\n"
        "| lint\\|style | success | — | — | 0 | 0 | 3.00s | 40.00s | same |\n"
        "| docs | — → success | — | — | — | — | — | — → 12.00s | unknown: not run before |\n"
    )
    assert ABReport((), "unknown").to_markdown() == "**A/B: unknown**\n"


def test_journal_dict_is_json() -> None:
    report = compare([outcome("tests", "failure", 9, 1)], [outcome("tests")])
    data = json.loads(json.dumps(report.to_dict()))
    assert data == {
        "judgement": "better",
        "checks": [
            {
                "name": "tests",
                "judgement": "better",
                "reason": "failure → success",
                "before": {
                    "conclusion": "failure",
                    "figures": {
                        "passed": 9,
                        "failed": 1,
                        "skipped": 0,
                        "errors": 0,
                        "total": 10,
                        "duration_seconds": 3.0,
                    },
                    "duration": 40.0,
                },
                "after": {
                    "conclusion": "success",
                    "figures": {
                        "passed": 10,
                        "failed": 0,
                        "skipped": 0,
                        "errors": 0,
                        "total": 10,
                        "duration_seconds": 3.0,
                    },
                    "duration": 40.0,
                },
                "deltas": {
                    "passed": 1,
                    "failed": -1,
                    "skipped": 0,
                    "errors": 0,
                    "total": 0,
                    "test_seconds": 0.0,
                    "check_seconds": 0.0,
                },
            }
        ],
    }


def test_outcome_from_a_check_run() -> None:
    start = dt.datetime(2026, 11, 21, 12, 0, tzinfo=dt.UTC)
    run = HeadCheck(name="pytest", status="completed", conclusion="failure", started_at=start,
                    completed_at=start + dt.timedelta(seconds=75), summary="= 2 failed, 40 passed in 61.20s (0:01:01) =")  # fmt: skip
    assert CheckOutcome.from_check(run) == CheckOutcome(
        "pytest", "failure", TestFigures(40, 2, 0, 0, 42, 61.2), 75.0
    )
    running = HeadCheck(name="pytest", status="in_progress", started_at=start)
    assert CheckOutcome.from_check(running) == CheckOutcome("pytest", None, None, None)
