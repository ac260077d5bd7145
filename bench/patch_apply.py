"""Benchmark: share of model-style diffs applied exactly right, ours vs git apply --recount vs GNU patch."""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from pathlib import Path

from bench.patch_corpus.perturb import PERTURBATIONS, Case, cases
from bench.patch_corpus.real_diffs import CONTEXT, MAX_CHANGED_LINES, MAX_HUNKS, PAIRS, build
from bench.results import write_section
from bot.patching import EditApplyError, ReplyError, TieBreak, apply, find_edits

DEFAULT_SEED = 20261121
TOOLS = ("evolve-bot", "git apply --recount", "GNU patch")
RIGHT, REJECTED, WRONG = "right", "rejected", "wrong"


def run_ours(case: Case, *, tie_breaks: Counter[TieBreak] | None = None) -> tuple[str, str]:
    """Apply the case's reply; count in `tie_breaks` the hunks settled by evidence."""
    try:
        change = apply({case.diff.path: case.old}, edits=find_edits(case.reply))
    except (ReplyError, EditApplyError) as exc:
        return REJECTED, str(exc).split("\n", 1)[0]
    if tie_breaks is not None:
        tie_breaks.update(e.tie_break for e in change.journal if e.tie_break is not None)
    result = change.contents.get(case.diff.path)
    return (RIGHT, "") if result == case.expected else (WRONG, "result differs")


def _run_tool(case: Case, *, argv: list[str], workdir: Path) -> tuple[str, str]:
    target = workdir / case.diff.path
    if workdir.exists():
        shutil.rmtree(workdir)
    target.parent.mkdir(parents=True)
    target.write_bytes(case.old.encode())
    proc = subprocess.run(
        argv, input=case.reply.encode(), cwd=workdir, capture_output=True, timeout=30, check=False
    )
    result = target.read_bytes().decode(errors="replace") if target.exists() else None
    if result == case.expected:
        return RIGHT, ""
    if result is None or result == case.old:
        # Left the file as it was (or removed it): the tool said no.
        return REJECTED, (proc.stderr or proc.stdout).decode(errors="replace").strip()[:200]
    # Changed the file, but not into the right version (e.g. some hunks applied, some not).
    return WRONG, f"exit {proc.returncode}, result differs"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument(
        "--limit", type=int, default=0, help="use only the first N diffs (quick runs)"
    )
    parser.add_argument("--show-failures", type=int, default=0, help="print N of our failures")
    args = parser.parse_args()
    if shutil.which("patch") is None:
        sys.exit("GNU patch is missing: apt-get install -y patch")
    if shutil.which("git") is None:
        sys.exit("git is missing: apt-get install -y git")

    diffs, per_package = build(seed=args.seed)
    if args.limit:
        diffs = diffs[: args.limit]
    all_cases = cases(diffs, seed=args.seed)
    outcomes: dict[str, dict[str, Counter[str]]] = {t: defaultdict(Counter) for t in TOOLS}
    seconds: dict[str, float] = dict.fromkeys(TOOLS, 0.0)
    ours_failed: list[tuple[Case, str, str]] = []
    tie_breaks: Counter[TieBreak] = Counter()
    with tempfile.TemporaryDirectory(prefix="patch-bench-") as tmp:
        workdir = Path(tmp) / "tree"
        git_apply = ["git", "apply", "--recount", "-"]
        gnu_patch = ["patch", "-p1", "-f", "-s", "--no-backup-if-mismatch", "-r", "-"]
        runners = {
            "evolve-bot": lambda c: run_ours(c, tie_breaks=tie_breaks),
            "git apply --recount": lambda c: _run_tool(c, argv=git_apply, workdir=workdir),
            "GNU patch": lambda c: _run_tool(c, argv=gnu_patch, workdir=workdir),
        }
        for case in all_cases:
            for tool in TOOLS:
                began = time.perf_counter()
                outcome, why = runners[tool](case)
                seconds[tool] += time.perf_counter() - began
                outcomes[tool][case.perturbation][outcome] += 1
                if tool == "evolve-bot" and outcome != RIGHT:
                    ours_failed.append((case, outcome, why))

    for case, outcome, why in ours_failed[: args.show_failures]:
        print(f"--- {case.perturbation} | {case.diff.package} {case.diff.path} | {outcome}: {why}")
    table = _table(outcomes, n=len(diffs))
    print(table)
    hunks = sum(len(d.hunks) for d in diffs)
    corpus = (
        f"{len(diffs)} real per-file diffs ({hunks} hunks) between two released versions of "
        f"{len(PAIRS)} pure-Python packages from PyPI (wheels fetched with `pip download` at run "
        f"time, cached in ~/.cache/evolve-bot/patch_corpus): "
        + ", ".join(f"{k} ({v})" for k, v in per_package.items())
        + f". Diffs: difflib, {CONTEXT} context lines, at most {MAX_HUNKS} hunks and "
        f"{MAX_CHANGED_LINES} changed lines per file. Each diff is given once per class below, "
        f"as the model's whole reply; {len(all_cases)} cases in all."
    )
    timing = ", ".join(f"{t}: {seconds[t]:.1f} s" for t in TOOLS)
    classes = "\n".join(
        f"- **{name}**: {(fn.__doc__ or '').strip().splitlines()[0]}"
        for name, fn in PERTURBATIONS.items()
    )
    verdict = _verdict(outcomes, total=len(all_cases), tie_breaks=tie_breaks)
    body = (
        "## Applying model-style diffs (`bench/patch_apply.py`)\n\n"
        f"Command: `python -m bench.patch_apply --seed {args.seed}`"
        + (f" --limit {args.limit}" if args.limit else "")
        + f"\n\nCorpus: {corpus}\n\n"
        "A case counts as right only if the file afterwards equals the real new version byte for "
        "byte; a rejected reply and a wrong result are both failures (the cells show them as "
        "rejected / wrong). Peers: `git apply --recount -` in a plain directory, and "
        "`patch -p1 -f` (GNU patch 2.7, default fuzz 2).\n\n"
        f"Perturbations (one class at a time, applied to every hunk of the diff):\n\n{classes}\n\n"
        f"{table}\n\n{verdict}\n\n"
        f"Wall time for all cases (incl. process start for the peers): {timing}.\n"
    )
    write_section("patch_apply", body)


def _verdict(
    outcomes: dict[str, dict[str, Counter[str]]], *, total: int, tie_breaks: Counter[TieBreak]
) -> str:
    """Targets: at least 98 % right overall, and at least 3x fewer failures than git apply."""
    right = {t: sum(c[RIGHT] for c in outcomes[t].values()) for t in TOOLS}
    ours, git = total - right[TOOLS[0]], total - right[TOOLS[1]]
    wrong = sum(c[WRONG] for c in outcomes[TOOLS[0]].values())
    share = 100 * right[TOOLS[0]] / total
    ratio = git / ours if ours else float("inf")
    return (
        f"Targets: ≥ 98 % right overall — {share:.1f} %, "
        f"{'met' if share >= 98 else 'missed'}; ≥ 3× fewer failures than git apply --recount — "
        f"{ratio:.1f}×, {'met' if ratio >= 3 else 'missed'}. Of our {ours} failures, {wrong} are "
        "wrong results; the rest are refusals naming the hunk and the reason.\n\n"
        "A hunk whose left-out context line sits next to its added lines fits in more than one "
        "way (the added lines on either side of that line); so does repeated code without line "
        "numbers. Such a hunk is applied only when evidence leaves one way, never by a "
        f"preference for a side. Settled here: {tie_breaks[TieBreak.SYNTAX]} hunks because only "
        "one way leaves the Python file compiling; among ways that compile, "
        f"{tie_breaks[TieBreak.UNBOUND_READ]} because only one reads no local variable before "
        f"assigning it, {tie_breaks[TieBreak.NO_EFFECT]} because only one has no statement that "
        f"does nothing (a bare tuple), {tie_breaks[TieBreak.COMMENT_BEFORE_BODY]} because only "
        "one puts no comment between a block's opening line and its body (none of these three "
        "occurs in the corpus's real files), and "
        f"{tie_breaks[TieBreak.CODE_IN_STRING]} because only one keeps an added statement out "
        "of a docstring (a strong hint, not a certainty: real docstrings rarely end in a line "
        f"of code); {tie_breaks[TieBreak.HUNK_ORDER]} because only one place keeps the hunks in "
        "file order. Most refusals left are such hunks where every way compiles and the ways "
        "differ only in blank lines or in the order of like lines (imports, list items), which "
        "nothing in the hunk or the file decides."
    )


def _cell(c: Counter[str]) -> str:
    total = sum(c.values())
    share = 100 * c[RIGHT] / total if total else 0.0
    return f"{share:.1f} % ({c[REJECTED]} / {c[WRONG]})"


def _table(outcomes: dict[str, dict[str, Counter[str]]], *, n: int) -> str:
    lines = [
        "| perturbation | cases | " + " | ".join(TOOLS) + " |",
        "|---|---:|" + "---:|" * len(TOOLS),
    ]
    totals: dict[str, Counter[str]] = {t: Counter() for t in TOOLS}
    for name in PERTURBATIONS:
        row = [name, str(sum(outcomes[TOOLS[0]][name].values()))]
        for t in TOOLS:
            row.append(_cell(outcomes[t][name]))
            totals[t].update(outcomes[t][name])
        lines.append("| " + " | ".join(row) + " |")
    total_cases = sum(totals[TOOLS[0]].values())
    lines.append(
        "| **overall** | "
        + str(total_cases)
        + " | "
        + " | ".join(f"**{_cell(totals[t])}**" for t in TOOLS)
        + " |"
    )
    fails = {t: total_cases - totals[t][RIGHT] for t in TOOLS}
    ours = fails[TOOLS[0]]
    ratio = f"{TOOLS[0]}: {ours}; " + "; ".join(
        f"{t}: {fails[t]}" + (f" ({fails[t] / ours:.1f}× ours)" if ours else "") for t in TOOLS[1:]
    )
    return "\n".join(lines) + f"\n\nFailures (rejected + wrong): {ratio}."


if __name__ == "__main__":
    main()
