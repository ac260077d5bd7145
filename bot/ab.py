"""ABReport: before/after test figures of a pull request, read from its CI check runs' output.

`parse_test_figures` recognises the final summaries of pytest, unittest, go test, jest and
cargo test (and a bare `N passed, N failed` line) and never guesses: a part the output does
not state is None, and text with no recognisable summary gives None. Categories are mapped the
way JUnit XML reports count them: pytest's xfailed and unittest's expected failures are
skipped, pytest's (non-strict) xpassed are passed, unittest's unexpected successes are failed
(unittest fails the run for them), jest's todo tests are skipped and cargo's ignored tests are
skipped. Several summaries in one text (tox environments, cargo's one per test binary, go's one
per package) are added up, so durations are the sum the runners reported, not wall time.

`compare` judges each check: `worse` when it went from passing to failing, or its failed, error
count rose, or fewer tests passed (a PR that deletes tests must not look neutral); `better` when
it went from failing to passing, or failures fell, or more tests passed; `same` otherwise; and
`unknown` when the check is missing on either side or has not finished. Overall: `worse` if any
check is worse, else `unknown` if any is unknown (or there is nothing to compare), else `better`
if any is better, else `same`. Durations are reported, never judged: CI timing is too noisy.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from typing import Any, Literal

from bot.verdict import OWN_CHECK, PASSING_CONCLUSIONS, HeadCheck

Judgement = Literal["better", "same", "worse", "unknown"]

# Colour codes and GitHub Actions' log timestamps, both of which sit in front of summary lines.
ANSI_ESCAPE = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
ACTIONS_TIMESTAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?Z ?", re.MULTILINE)

PYTEST_SUMMARY = re.compile(
    r"""
    ^[=\ \t]*                                 # pytest frames the line with '=' (not with -q)
    (?P<counts>
        (?:(?:\d+\ [a-z]+|no\ tests\ ran)     # "5 passed", "1 error", "no tests ran"
           (?:,\ )?)+
    )
    \ in\ (?P<seconds>\d+(?:\.\d+)?)          # "in 3.21s"
    (?:s|\ seconds)                           # pytest < 6 wrote "in 3.21 seconds"
    (?:\ \(\d+:\d\d:\d\d\))?                  # "(0:01:03)" from a minute on
    [=\ \t]*$
    """,
    re.VERBOSE | re.MULTILINE,
)
PYTEST_COUNT = re.compile(r"(?P<count>\d+) (?P<word>[a-z]+)")
PYTEST_WORDS = frozenset(
    {
        "passed",
        "failed",
        "skipped",
        "deselected",
        "xfailed",
        "xpassed",
        "warning",
        "warnings",
        "error",
        "errors",
        "rerun",
    }
)
UNITTEST_RAN = re.compile(
    r"""
    ^Ran\ (?P<total>\d+)\ tests?\ in\ (?P<seconds>\d+(?:\.\d+)?)s[\ \t]*$  # "Ran 12 tests in 0.003s"
    (?:\n[\ \t]*$)*                                                    # a blank line
    (?:\n(?P<result>OK|FAILED|NO\ TESTS\ RAN)                          # the outcome, when not cut off
       (?:\ \((?P<details>[^)\n]*)\))?[\ \t]*$)?                       # "(failures=1, errors=2)"
    """,
    re.VERBOSE | re.MULTILINE,
)
UNITTEST_DETAIL = re.compile(r"(?P<key>[a-z ]+)=(?P<count>\d+)")
GO_PACKAGE = re.compile(
    r"""
    ^(?P<result>ok|FAIL|\?)[\ \t]+(?P<package>\S+)[\ \t]+   # "ok  	example.com/pkg	"
    (?:(?P<seconds>\d+(?:\.\d+)?)s                  # "0.012s"
      |(?P<cached>\(cached\))
      |\[(?P<note>[^\]]+)\])                        # "[no test files]", "[build failed]"
    """,
    re.VERBOSE | re.MULTILINE,
)
GO_TEST = re.compile(
    r"^--- (?P<result>PASS|FAIL|SKIP): \S+ \((?P<seconds>\d+(?:\.\d+)?)s\)", re.MULTILINE
)  # top level only
GO_VERBOSE = re.compile(r"^=== RUN\s", re.MULTILINE)
GO_BROKEN_PACKAGE_NOTES = frozenset({"build failed", "setup failed"})
JEST_TESTS = re.compile(r"^Tests:\s+(?P<counts>(?:\d+ [a-z]+, )*\d+ total)\s*$", re.MULTILINE)
JEST_TIME = re.compile(
    r"^Time:\s+(?P<seconds>\d+(?:\.\d+)?)\s?s\b", re.MULTILINE
)  # "Time: 1.2 s, estimated 2 s"
CARGO_RESULT = re.compile(
    r"""
    ^test\ result:\ (?:ok|FAILED)\.\ 
    (?P<passed>\d+)\ passed;\ (?P<failed>\d+)\ failed;\ (?P<ignored>\d+)\ ignored;
    \ \d+\ measured;\ \d+\ filtered\ out
    (?:;\ finished\ in\ (?P<seconds>\d+(?:\.\d+)?)s)?   # older cargo has no time
    """,
    re.VERBOSE | re.MULTILINE,
)
PLAIN_SUMMARY = re.compile(
    r"""
    ^[^\w\n]*                                 # only decoration around: '=== ', '* ', '['
    (?P<counts>\d+\ (?:passed|failed|skipped|errors?)
       (?:,\ \d+\ (?:passed|failed|skipped|errors?))*)
    [^\w\n]*$
    """,
    re.VERBOSE | re.MULTILINE,
)

HEADLINE = "**A/B: {judgement}**"
TABLE_HEADER = (
    "| Check | Conclusion | Passed | Failed | Skipped | Errors | Test time | Check time | |\n"
    "|---|---|---|---|---|---|---|---|---|"
)
UNKNOWN_CELL = "—"
DUPLICATE_CHECK = (
    "check {name!r} appears more than once in the {side} outcomes; pass the newest run only"
)
REASON_ONLY_BEFORE = "not run after"
REASON_ONLY_AFTER = "not run before"
REASON_UNFINISHED = "not finished"
REASON_NOW_FAILING = "{before} → {after}"
REASON_NOW_PASSING = "{before} → {after}"
REASON_MORE = "{what} {before} → {after}"
REASON_NO_CHANGE = "no change"


@dataclass(frozen=True)
class TestFigures:
    """Counts and time a test run reported; None where the output does not say."""

    __test__ = False  # not a pytest test class, despite the name

    passed: int | None = None
    failed: int | None = None
    skipped: int | None = None
    errors: int | None = None
    total: int | None = None
    duration_seconds: float | None = None

    def __add__(self, other: TestFigures) -> TestFigures:
        """Both runs together; a part unknown in either is unknown in the sum."""

        def add(a: Any, b: Any) -> Any:
            return None if a is None or b is None else a + b

        return TestFigures(
            passed=add(self.passed, other.passed),
            failed=add(self.failed, other.failed),
            skipped=add(self.skipped, other.skipped),
            errors=add(self.errors, other.errors),
            total=add(self.total, other.total),
            duration_seconds=add(self.duration_seconds, other.duration_seconds),
        )


def _normalise(text: str) -> str:
    text = ANSI_ESCAPE.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))
    return ACTIONS_TIMESTAMP.sub("", text)


def _pytest(text: str) -> list[TestFigures]:
    found = []
    for m in PYTEST_SUMMARY.finditer(text):
        counts = {word: 0 for word in PYTEST_WORDS}
        for item in PYTEST_COUNT.finditer(m.group("counts")):
            if item.group("word") not in PYTEST_WORDS:
                break
            counts[item.group("word")] += int(item.group("count"))
        else:
            passed = counts["passed"] + counts["xpassed"]
            skipped = counts["skipped"] + counts["xfailed"]
            errors = counts["error"] + counts["errors"]
            failed = counts["failed"]
            found.append(
                TestFigures(
                    passed,
                    failed,
                    skipped,
                    errors,
                    passed + failed + skipped + errors,
                    float(m.group("seconds")),
                )
            )
    return found


def _unittest(text: str) -> list[TestFigures]:
    found = []
    for m in UNITTEST_RAN.finditer(text):
        total, seconds = int(m.group("total")), float(m.group("seconds"))
        if m.group("result") is None:  # output cut off after "Ran": only the total is known
            found.append(TestFigures(total=total, duration_seconds=seconds))
            continue
        details = {
            d.group("key").strip(): int(d.group("count"))
            for d in UNITTEST_DETAIL.finditer(m.group("details") or "")
        }
        failed = details.get("failures", 0) + details.get("unexpected successes", 0)
        errors = details.get("errors", 0)
        skipped = details.get("skipped", 0) + details.get("expected failures", 0)
        found.append(
            TestFigures(total - failed - errors - skipped, failed, skipped, errors, total, seconds)
        )
    return found


def _go(text: str) -> list[TestFigures]:
    packages = list(GO_PACKAGE.finditer(text))
    tests = list(GO_TEST.finditer(text))
    if not packages and not tests:
        return []
    seconds = sum(
        float(p.group("seconds")) for p in packages if p.group("seconds")
    )  # cached packages took no time
    errors = sum(1 for p in packages if p.group("note") in GO_BROKEN_PACKAGE_NOTES)
    failed = sum(1 for t in tests if t.group("result") == "FAIL")
    if not GO_VERBOSE.search(text):
        # Without -v go lists failing tests only: how many passed or were skipped is not said.
        return [
            TestFigures(
                failed=failed, errors=errors, duration_seconds=seconds if packages else None
            )
        ]
    passed = sum(1 for t in tests if t.group("result") == "PASS")
    skipped = sum(1 for t in tests if t.group("result") == "SKIP")
    return [
        TestFigures(
            passed,
            failed,
            skipped,
            errors,
            passed + failed + skipped + errors,
            seconds if packages else None,
        )
    ]


def _jest(text: str) -> list[TestFigures]:
    found = []
    times = [float(t.group("seconds")) for t in JEST_TIME.finditer(text)]
    runs = list(JEST_TESTS.finditer(text))
    for index, m in enumerate(runs):
        counts = {
            item.group("word"): int(item.group("count"))
            for item in PYTEST_COUNT.finditer(m.group("counts"))
        }
        skipped = counts.get("skipped", 0) + counts.get("todo", 0) + counts.get("pending", 0)
        # jest has no separate error count: a test that throws is failed.
        seconds = times[index] if len(times) == len(runs) else None
        found.append(
            TestFigures(
                counts.get("passed", 0),
                counts.get("failed", 0),
                skipped,
                0,
                counts["total"],
                seconds,
            )
        )
    return found


def _cargo(text: str) -> list[TestFigures]:
    found = []
    for m in CARGO_RESULT.finditer(text):
        passed, failed, ignored = (
            int(m.group("passed")),
            int(m.group("failed")),
            int(m.group("ignored")),
        )
        seconds = float(m.group("seconds")) if m.group("seconds") else None
        # cargo has no error count: a panicking test is failed, a build error prints no result line.
        found.append(TestFigures(passed, failed, ignored, 0, passed + failed + ignored, seconds))
    return found


def _plain(text: str) -> list[TestFigures]:
    found = []
    for m in PLAIN_SUMMARY.finditer(text):
        counts = {"passed": 0, "failed": 0, "skipped": 0, "errors": 0}
        for item in PYTEST_COUNT.finditer(m.group("counts")):
            word = "errors" if item.group("word") == "error" else item.group("word")
            counts[word] += int(item.group("count"))
        found.append(
            TestFigures(
                counts["passed"],
                counts["failed"],
                counts["skipped"],
                counts["errors"],
                sum(counts.values()),
            )
        )
    return found


RUNNERS = (_pytest, _unittest, _go, _jest, _cargo)


def parse_test_figures(text: str | None) -> TestFigures | None:
    """The test figures in one runner's output (all of them added up), or None if there are none."""
    if not text:
        return None
    text = _normalise(text)
    found = [figures for runner in RUNNERS for figures in runner(text)]
    if not found:
        # A bare "N passed, N failed" only counts when no runner's own summary is there.
        found = _plain(text)
    if not found:
        return None
    total = found[0]
    for figures in found[1:]:
        total = total + figures
    return total


def figures_from_output(summary: str | None, text: str | None) -> TestFigures | None:
    """Figures from a check run's output: its summary if that has any, else its text (never both, to count once)."""
    return parse_test_figures(summary) or parse_test_figures(text)


# --- comparing --------------------------------------------------------------------------------


@dataclass(frozen=True)
class CheckOutcome:
    """One check on one side of the comparison: how it concluded, its test figures and how long it took."""

    name: str
    conclusion: str | None  # None: not finished
    figures: TestFigures | None = None
    duration: float | None = None  # seconds from start to completion

    @classmethod
    def from_check(cls, check: HeadCheck) -> CheckOutcome:
        return cls(
            name=check.name,
            conclusion=check.conclusion if check.finished else None,
            figures=figures_from_output(check.summary, check.text),
            duration=check.duration_seconds,
        )

    @property
    def passing(self) -> bool:
        return self.conclusion in PASSING_CONCLUSIONS


def _delta(before: float | None, after: float | None) -> Any:
    return None if before is None or after is None else after - before


def _figure(outcome: CheckOutcome | None, part: str) -> Any:
    if outcome is None or outcome.figures is None:
        return None
    return getattr(outcome.figures, part)


@dataclass(frozen=True)
class CheckComparison:
    """One check before and after, and what changed."""

    name: str
    before: CheckOutcome | None
    after: CheckOutcome | None
    judgement: Judgement
    reason: str

    @property
    def deltas(self) -> dict[str, Any]:
        """After minus before for each figure; None where either side does not know it."""
        deltas = {
            part: _delta(_figure(self.before, part), _figure(self.after, part))
            for part in ("passed", "failed", "skipped", "errors", "total")
        }
        deltas["test_seconds"] = _delta(
            _figure(self.before, "duration_seconds"), _figure(self.after, "duration_seconds")
        )
        deltas["check_seconds"] = _delta(
            self.before.duration if self.before else None,
            self.after.duration if self.after else None,
        )
        return deltas


def _judge(before: CheckOutcome | None, after: CheckOutcome | None) -> tuple[Judgement, str]:
    if before is None:
        return "unknown", REASON_ONLY_AFTER
    if after is None:
        return "unknown", REASON_ONLY_BEFORE
    if before.conclusion is None or after.conclusion is None:
        return "unknown", REASON_UNFINISHED
    if before.passing and not after.passing:
        return "worse", REASON_NOW_FAILING.format(before=before.conclusion, after=after.conclusion)

    def rose(part: str) -> tuple[int, int] | None:
        b, a = _figure(before, part), _figure(after, part)
        return (b, a) if b is not None and a is not None and a > b else None

    def fell(part: str) -> tuple[int, int] | None:
        b, a = _figure(before, part), _figure(after, part)
        return (b, a) if b is not None and a is not None and a < b else None

    for part, change in (
        ("failed", rose("failed")),
        ("errors", rose("errors")),
        ("passed", fell("passed")),
    ):
        if change:
            return "worse", REASON_MORE.format(what=part, before=change[0], after=change[1])
    if not before.passing and after.passing:
        return "better", REASON_NOW_PASSING.format(before=before.conclusion, after=after.conclusion)
    for part, change in (
        ("failed", fell("failed")),
        ("errors", fell("errors")),
        ("passed", rose("passed")),
    ):
        if change:
            return "better", REASON_MORE.format(what=part, before=change[0], after=change[1])
    return "same", REASON_NO_CHANGE


def _by_name(
    outcomes: Iterable[CheckOutcome], *, side: str, exclude: Sequence[str]
) -> dict[str, CheckOutcome]:
    named: dict[str, CheckOutcome] = {}
    for outcome in outcomes:
        if outcome.name in exclude:
            continue
        if outcome.name in named:
            raise ValueError(DUPLICATE_CHECK.format(name=outcome.name, side=side))
        named[outcome.name] = outcome
    return named


@dataclass(frozen=True)
class ABReport:
    """Every check before and after, and the overall judgement."""

    checks: tuple[CheckComparison, ...]
    judgement: Judgement

    def to_markdown(self) -> str:
        """A headline and a table, for a PR comment."""
        lines = [HEADLINE.format(judgement=self.judgement), ""]
        if not self.checks:
            return "\n".join(lines).rstrip() + "\n"
        lines.append(TABLE_HEADER)
        for c in self.checks:
            cells = [
                c.name.replace("|", "\\|"),
                _pair(
                    c.before.conclusion if c.before else None,
                    c.after.conclusion if c.after else None,
                    delta=False,
                ),
                *(
                    _pair(_figure(c.before, part), _figure(c.after, part))
                    for part in ("passed", "failed", "skipped", "errors")
                ),
                _pair(
                    _figure(c.before, "duration_seconds"),
                    _figure(c.after, "duration_seconds"),
                    unit="s",
                ),
                _pair(
                    c.before.duration if c.before else None,
                    c.after.duration if c.after else None,
                    unit="s",
                ),
                c.judgement if c.judgement == "same" else f"{c.judgement}: {c.reason}",
            ]
            lines.append("| " + " | ".join(cells) + " |")
        return "\n".join(lines) + "\n"

    def to_dict(self) -> dict[str, Any]:
        """Plain data for the journal."""
        return {
            "judgement": self.judgement,
            "checks": [
                {
                    "name": c.name,
                    "judgement": c.judgement,
                    "reason": c.reason,
                    "before": _outcome_dict(c.before),
                    "after": _outcome_dict(c.after),
                    "deltas": c.deltas,
                }
                for c in self.checks
            ],
        }


def _outcome_dict(outcome: CheckOutcome | None) -> dict[str, Any] | None:
    if outcome is None:
        return None
    return {
        "conclusion": outcome.conclusion,
        "figures": asdict(outcome.figures) if outcome.figures is not None else None,
        "duration": outcome.duration,
    }


def _number(value: float, unit: str) -> str:
    return f"{value:.2f}{unit}" if unit else f"{value:g}"


def _pair(before: Any, after: Any, *, delta: bool = True, unit: str = "") -> str:
    """'3 → 5 (+2)', '3' when unchanged, '— → 5' when one side is unknown."""
    if before is None and after is None:
        return UNKNOWN_CELL
    if not delta:
        b, a = before or UNKNOWN_CELL, after or UNKNOWN_CELL
        return b if b == a else f"{b} → {a}"
    b = UNKNOWN_CELL if before is None else _number(before, unit)
    a = UNKNOWN_CELL if after is None else _number(after, unit)
    if b == a:
        return b
    if before is None or after is None:
        return f"{b} → {a}"
    change = after - before
    return f"{b} → {a} ({'+' if change > 0 else '−'}{_number(abs(change), unit)})"


def compare(
    before: Sequence[CheckOutcome],
    after: Sequence[CheckOutcome],
    *,
    exclude: Sequence[str] = (OWN_CHECK,),
) -> ABReport:
    """Judge each check (by name) before and after, and the pull request overall; see the module docstring."""
    old = _by_name(before, side="before", exclude=exclude)
    new = _by_name(after, side="after", exclude=exclude)
    names = list(dict.fromkeys([*new, *old]))
    comparisons = []
    for name in names:
        judgement, reason = _judge(old.get(name), new.get(name))
        comparisons.append(CheckComparison(name, old.get(name), new.get(name), judgement, reason))
    judgements = {c.judgement for c in comparisons}
    overall: Judgement
    if "worse" in judgements:
        overall = "worse"
    elif "unknown" in judgements or not comparisons:
        overall = "unknown"
    elif "better" in judgements:
        overall = "better"
    else:
        overall = "same"
    return ABReport(tuple(comparisons), overall)
