"""Benchmark: rules learned from 2 of ruff's autofixes, applied to a corpus, against all of ruff's fixes.

Corpus: the Python files of a seeded sample of the third-party packages installed in this venv's
site-packages, copied to a temporary directory. Oracle: for each ruff rule code, what
`ruff check --select CODE --fix --unsafe-fixes --no-cache --isolated` changes in a copy of the
corpus, cut into sites with `bot.rules.edit_regions`. For each code, two oracle sites (seeded
draw) are the examples `bot.rules.learn_rules` gets; the kept rule is applied to every
corpus file with `bot.rules.apply_rewrite` and its sites are compared with ruff's.

A site is a changed unit (file + span of the original). Our sites and ruff's that overlap are
compared together, on the union of their spans: right when the text there after our rewrite
equals the text after ruff's fix, whitespace removed. Precision = our sites that are right / our
sites; recall = ruff's sites we got right / ruff's sites. A code whose rule is rejected has no
sites of ours: recall 0, with the reason.
"""

from __future__ import annotations

import argparse
import bisect
import random
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from ast_grep_py import SgRoot

from bench.results import write_section
from bot.rules import (
    EditRegion,
    Example,
    ExampleError,
    LearnedRule,
    RewriteError,
    RewriteRule,
    apply_rewrite,
    edit_regions,
    learn_rules,
    surroundings_of,
    syntax_problems,
)

DEFAULT_SEED = 20261121
DEFAULT_TARGET_LINES = 1_000_000
# Packages bigger than this are left out of the draw so that one package cannot be a big share
# of the corpus (the biggest here are generated: API clients and a schema module, typed through).
MAX_PACKAGE_LINES = 160_000
# Codes with a fix ruff can apply, of rewrites of expressions and statements (the brief's list
# and their neighbours); those with at least MIN_SITES oracle sites in the corpus are benchmarked.
CANDIDATE_CODES = (
    "E711", "E712", "E713", "E714",
    "UP004", "UP008", "UP011", "UP015", "UP018", "UP024", "UP025", "UP034",
    "C401", "C403", "C405", "C408", "C416", "C419", "C420",
    "SIM103", "SIM118", "SIM910", "PIE790", "PIE808", "RET501", "RET502", "FURB167", "RUF010",
    "B009", "B010",
)  # fmt: skip
# Codes that rewrite type annotations. tree-sitter parses an annotation as `type` nodes
# (`generic_type`), while a pattern parsed on its own is an expression (`subscript`): the learner
# reaches them only through an edit's core matched as its kind in place (a rule's `selector`).
# They are measured and shown apart.
ANNOTATION_CODES = ("UP006", "UP007", "UP037", "UP045")
MIN_SITES = 15
TRIALS = 5  # extra seeded draws of 2 examples per code, for the spread
PRECISION_TARGET, RECALL_TARGET = 0.9, 0.7  # issue 5's targets
EXAMPLES_PER_CODE = 2
CONTEXT_LINES = 3  # lines above and below a site that tell two copies of it apart
RUFF = [sys.executable, "-m", "ruff"]


@dataclass
class Corpus:
    root: Path
    packages: list[tuple[str, int]]  # (name, lines)
    files: dict[str, str]  # relative path -> content, only files both ruff and ast-grep can read
    skipped: int  # files left out: not UTF-8, or a syntax error for ast-grep

    @property
    def lines(self) -> int:
        return sum(text.count("\n") for text in self.files.values())


def site_packages() -> Path:
    candidates = [Path(p) for p in sys.path if p.endswith("site-packages") and Path(p).is_dir()]
    if not candidates:
        sys.exit("no site-packages on sys.path: run inside the project's venv")
    return candidates[0]


def _package_lines(path: Path) -> int:
    return sum(f.read_bytes().count(b"\n") for f in path.rglob("*.py"))


def build_corpus(*, seed: int, target_lines: int, workdir: Path) -> Corpus:
    sp = site_packages()
    eligible = []
    for entry in sorted(sp.iterdir()):
        name = entry.name
        if not entry.is_dir() or name.startswith(("_", ".", "evolve")) or "." in name:
            continue
        lines = _package_lines(entry)
        if 500 <= lines <= MAX_PACKAGE_LINES:
            eligible.append((name, lines))
    random.Random(seed).shuffle(eligible)
    chosen, total = [], 0
    for name, lines in eligible:
        if total >= target_lines:
            break
        chosen.append((name, lines))
        total += lines
    root = workdir / "corpus"
    files: dict[str, str] = {}
    skipped = 0
    for name, _ in sorted(chosen):
        for src in sorted((sp / name).rglob("*.py")):
            rel = src.relative_to(sp).as_posix()
            try:
                text = src.read_text(encoding="utf-8")
            except UnicodeDecodeError:
                skipped += 1
                continue
            if syntax_problems(SgRoot(text, "python").root()):
                skipped += 1
                continue
            dest = root / rel
            dest.parent.mkdir(parents=True, exist_ok=True)
            dest.write_text(text, encoding="utf-8")
            files[rel] = text
    return Corpus(root=root, packages=sorted(chosen), files=files, skipped=skipped)


def ruff_fixed(corpus: Corpus, code: str, *, workdir: Path) -> dict[str, str]:
    """Files ruff's fix for `code` changes: path -> new content."""
    copy = workdir / f"ruff-{code}"
    if copy.exists():
        shutil.rmtree(copy)
    shutil.copytree(corpus.root, copy)
    subprocess.run(
        [*RUFF, "check", "--select", code, "--fix", "--unsafe-fixes", "--no-cache", "--isolated", "--exit-zero", "--quiet", "."],
        cwd=copy, capture_output=True, check=False, timeout=600,
    )  # fmt: skip
    changed = {}
    for rel, old in corpus.files.items():
        new = (copy / rel).read_text(encoding="utf-8")
        if new != old:
            changed[rel] = new
    shutil.rmtree(copy)
    return changed


def regions_of(corpus: Corpus, changed: Mapping[str, str]) -> dict[str, list[EditRegion]]:
    found: dict[str, list[EditRegion]] = {}
    for rel, new in changed.items():
        try:
            regions = edit_regions(corpus.files[rel], new, language="python")
        except ExampleError:
            continue  # the fix left a file tree-sitter cannot parse: no usable sites there
        if regions:
            found[rel] = regions
    return found


@dataclass
class Score:
    ours: int = 0
    oracle: int = 0
    ours_right: int = 0
    oracle_right: int = 0
    broken_files: int = 0  # files our rule would have left unparsable (counted as wrong sites)
    wrong: list[tuple[str, str, str, str]] = field(
        default_factory=list
    )  # path, before, ours, ruff's
    missed: list[tuple[str, str, str]] = field(default_factory=list)  # path, before, ruff's

    @property
    def precision(self) -> float | None:
        return self.ours_right / self.ours if self.ours else None

    @property
    def recall(self) -> float:
        return self.oracle_right / self.oracle if self.oracle else 0.0


class _Solid:
    """Non-whitespace positions of one text, to line up the two versions of a file."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.solid = [i for i, ch in enumerate(text) if not ch.isspace()]

    def nw(self, index: int) -> int:
        return bisect.bisect_left(self.solid, index)

    def slice(self, s: int, e: int) -> str:
        if e <= s:
            return ""
        return "".join(self.text[self.solid[s] : self.solid[e - 1] + 1].split())


def compare(
    old: str,
    ours_new: str | None,
    ruff_new: str | None,
    ours: list[EditRegion],
    theirs: list[EditRegion],
    score: Score,
    *,
    path: str,
) -> None:
    """Score one file: clusters of overlapping sites, compared on their union span."""
    base = _Solid(old)
    versions = {
        "ours": _Solid(ours_new) if ours_new is not None else base,
        "ruff": _Solid(ruff_new) if ruff_new is not None else base,
    }
    tagged = [("ours", r) for r in ours] + [("ruff", r) for r in theirs]
    spans = sorted(
        ((base.nw(r.before_span[0]), base.nw(r.before_span[1]), side, r) for side, r in tagged),
        key=lambda t: (t[0], t[1]),
    )
    # Per version: (before nonws start, end, after nonws length - before nonws length) per site.
    deltas: dict[str, list[tuple[int, int, int]]] = {"ours": [], "ruff": []}
    for side, r in tagged:
        solid = versions[side]
        b = (base.nw(r.before_span[0]), base.nw(r.before_span[1]))
        a = (solid.nw(r.after_span[0]), solid.nw(r.after_span[1]))
        deltas[side].append((b[0], b[1], (a[1] - a[0]) - (b[1] - b[0])))

    def to_after(side: str, position: int, *, end: bool) -> int:
        shift = sum(
            d
            for s, e, d in deltas[side]
            if (e <= position if end else e <= position and s < position)
        )
        return position + shift

    clusters: list[list[tuple[int, int, str, EditRegion]]] = []
    for item in spans:
        if clusters and item[0] < max(x[1] for x in clusters[-1]):
            clusters[-1].append(item)
        else:
            clusters.append([item])
    for cluster in clusters:
        s, e = min(x[0] for x in cluster), max(x[1] for x in cluster)
        texts = {
            side: versions[side].slice(to_after(side, s, end=False), to_after(side, e, end=True))
            for side in ("ours", "ruff")
        }
        n_ours = sum(1 for x in cluster if x[2] == "ours")
        n_ruff = len(cluster) - n_ours
        score.ours += n_ours
        score.oracle += n_ruff
        if n_ours and n_ruff and texts["ours"] == texts["ruff"]:
            score.ours_right += n_ours
            score.oracle_right += n_ruff
        elif n_ours and len(score.wrong) < 5:
            score.wrong.append((path, base.slice(s, e), texts["ours"], texts["ruff"]))
        elif n_ruff and not n_ours and len(score.missed) < 12:
            score.missed.append((path, base.slice(s, e), texts["ruff"]))


_APPLIED: dict[RewriteRule, tuple[dict[str, str], int]] = {}


def apply_everywhere(rule: RewriteRule, files: Mapping[str, str]) -> tuple[dict[str, str], int]:
    """Our rewrite of each file (changed ones only) and how many files it would have broken."""
    if rule in _APPLIED:
        return _APPLIED[rule]
    changed, broken = {}, 0
    for rel, text in files.items():
        try:
            # As the bot applies a learned rule: lines marked `# noqa` are left alone.
            result = apply_rewrite({rel: text}, rule, skip_marked=True)
        except RewriteError:
            broken += 1
            continue
        if rel in result.changed:
            changed[rel] = result.changed[rel]
    _APPLIED[rule] = (changed, broken)
    return changed, broken


@dataclass
class Trial:
    examples: list[tuple[str, EditRegion]]
    learned: list[LearnedRule]
    kept: LearnedRule | None
    score: Score


def run_trial(
    corpus: Corpus,
    oracle: dict[str, list[EditRegion]],
    ruff_new: Mapping[str, str],
    *,
    rng: random.Random,
) -> Trial:
    sites = [(rel, r) for rel in sorted(oracle) for r in oracle[rel]]
    # Two sites with the same text in the same lines of code (vendored copies) are one example
    # twice; the same text in other code (`return` in two functions) is two examples.
    drawn = [rng.choice(sites)]
    first = _seen_as(corpus, drawn[0])
    others = [site for site in sites if _seen_as(corpus, site) != first]
    if others:
        drawn.append(rng.choice(others))
    examples = [
        Example(
            before=r.before,
            after=r.after,
            path=rel,
            language="python",
            source="human_commit",
            line=r.start_line,
            # As the bot does for a suggestion or a commit: read around the site in its file.
            surroundings=surroundings_of(corpus.files[rel], r.before_span, language="python"),
        )
        for rel, r in drawn
    ]
    learned = learn_rules(examples, min_examples=EXAMPLES_PER_CODE)
    kept = next((r for r in learned if r.kept), None)
    score = Score()
    ours_new: dict[str, str] = {}
    if kept is not None and kept.rule is not None:
        ours_new, score.broken_files = apply_everywhere(kept.rule, corpus.files)
    ours = regions_of(corpus, ours_new)
    for rel in sorted(set(ours) | set(oracle)):
        compare(
            corpus.files[rel],
            ours_new.get(rel),
            ruff_new.get(rel),
            ours.get(rel, []),
            oracle.get(rel, []),
            score,
            path=rel,
        )
    score.ours += score.broken_files
    return Trial(examples=drawn, learned=learned, kept=kept, score=score)


def _seen_as(corpus: Corpus, site: tuple[str, EditRegion]) -> tuple[str, str, str]:
    """The site's edit and the lines around it: what a reviewer sees of the example."""
    rel, region = site
    lines = corpus.files[rel].splitlines()
    first = max(region.start_line - 1 - CONTEXT_LINES, 0)
    last = region.start_line - 1 + region.before.count("\n") + 1 + CONTEXT_LINES
    return region.before, region.after, "\n".join(lines[first:last]).strip()


def _pct(value: float | None) -> str:
    return "–" if value is None else f"{100 * value:.0f} %"


def _code(text: str, limit: int = 70) -> str:
    text = " ".join(text.split())
    text = text if len(text) <= limit else text[: limit - 1] + "…"
    return "`" + text.replace("|", "\\|").replace("`", "'") + "`"


@dataclass
class CodeResult:
    code: str
    trial: Trial
    extra: list[Score]  # the extra draws', in seed order

    @property
    def recalls(self) -> list[float]:
        return [x.recall for x in self.extra]

    @property
    def precisions(self) -> list[float | None]:
        return [x.precision for x in self.extra]


def _total(scores: Iterable[Score]) -> Score:
    """The scores' counts summed: one score over all their sites."""
    total = Score()
    for score in scores:
        for name in ("ours", "oracle", "ours_right", "oracle_right", "broken_files"):
            setattr(total, name, getattr(total, name) + getattr(score, name))
    return total


def _row(result: CodeResult) -> str:
    s, trial = result.trial.score, result.trial
    drawn = "<br>".join(_code(f"{r.before} -> {r.after}", 60) for _, r in trial.examples)
    if trial.kept is not None and trial.kept.rule is not None:
        rule = trial.kept.rule
        # A rule over several statements: ⏎ where a line ends (a cell is one line).
        learned = _code(f"{rule.pattern} -> {rule.fix}".replace("\n", " ⏎ "))
        if rule.each:
            learned += f" with each {_code(f'{rule.each.pattern} -> {rule.each.fix}')}"
        if rule.table:
            learned += " with `$B` by `$A`: " + ", ".join(
                _code(f"{a} -> {b}") for a, b in rule.table.entries
            )
        if rule.selector:
            learned += f" as `{rule.selector}`"
        if rule.inside:
            learned += " inside " + " or ".join(f"`{c}`" for c in rule.inside)
        if rule.facts:
            learned += " where " + " and ".join(f"`{f}`" for f in rule.facts)
        if rule.any_quote:
            learned += ", quote style as the code's"
    else:
        reasons = {" ".join((r.rejected_reason or "").split()) for r in trial.learned}
        learned = "rejected: " + "; ".join(sorted(r[:150] for r in reasons)).replace("|", "\\|")
    rec = result.recalls
    pre = [p for p in result.precisions if p is not None]
    spread = (
        f"{_pct(sum(rec) / len(rec))} ({_pct(min(rec))}–{_pct(max(rec))})"
        + (
            f"; precision {_pct(sum(pre) / len(pre))} over {len(pre)} rule(s)"
            if pre
            else "; no rule kept"
        )
        if rec
        else "–"
    )
    broken = f" (+{s.broken_files} files broken)" if s.broken_files else ""
    return (
        f"| {result.code} | {s.oracle} | {drawn} | {learned} | {s.ours}{broken} | {s.ours_right} |"
        f" {_pct(s.precision)} | {_pct(s.recall)} | {spread} |"
    )


def _overall(label: str, results: list[CodeResult]) -> list[str]:
    total = _total(r.trial.score for r in results)
    macro_p = [r.trial.score.precision for r in results if r.trial.score.precision is not None]
    macro_r = [r.trial.score.recall for r in results]
    return [
        (
            f"| **{label}, all sites** | {total.oracle} | | | {total.ours} | {total.ours_right} |"
            f" {_pct(total.precision)} | {_pct(total.recall)} | |"
        ),
        (
            f"| **{label}, mean of codes** | | | | | |"
            f" {_pct(sum(macro_p) / len(macro_p) if macro_p else None)} |"
            f" {_pct(sum(macro_r) / len(macro_r) if macro_r else 0.0)} | |"
        ),
    ]


def _extra_draws(results: list[CodeResult]) -> str:
    """The overall figures again for each extra draw (every code drawn anew with seed k)."""
    draws = min((len(r.extra) for r in results), default=0)
    if not draws:
        return ""
    totals = [_total(r.extra[k] for r in results) for k in range(draws)]
    recalls = [t.recall for t in totals]
    precisions = [t.precision for t in totals if t.precision is not None]
    met = sum(1 for t in totals if t.recall >= RECALL_TARGET and (t.precision or 0.0) >= PRECISION_TARGET)
    return (
        f"The same totals for each of the {draws} extra draws (every code drawn anew with another"
        f" seed): recall {_pct(sum(recalls) / draws)} on average ({_pct(min(recalls))}–"
        f"{_pct(max(recalls))}), precision {_pct(sum(precisions) / len(precisions) if precisions else None)}"
        f" ({_pct(min(precisions, default=None))}–{_pct(max(precisions, default=None))}); both"
        f" targets met in {met} of {draws}. Two sites drawn at random per code carry this much"
        " luck."
    )


def _verdict(results: list[CodeResult]) -> list[str]:
    """The targets against the primary table, and where the misses come from (from the results)."""
    total = _total(r.trial.score for r in results)
    shapes = [
        r.code
        for r in results
        if r.trial.kept is None
        and any((x.rejected_reason or "").startswith("only 1 example") for x in r.trial.learned)
    ]
    wrong = sorted(
        ((r.trial.score.ours - r.trial.score.ours_right, r.code) for r in results),
        reverse=True,
    )
    losses = ", ".join(f"{code} {n}" for n, code in wrong[:3] if n)
    # One text drawn in two places: the rule can be no more general than that text.
    same = [
        r.code
        for r in results
        if len(r.trial.examples) == 2
        and len({(x.before, x.after) for _, x in r.trial.examples}) == 1
        and r.trial.score.recall < 1
    ]
    precision, recall = total.precision or 0.0, total.recall
    return [
        (
            f"Targets: ≥ 90 % precision — {_pct(precision)}, {'met' if precision >= PRECISION_TARGET else 'missed'};"
            f" ≥ 70 % recall — {_pct(recall)}, {'met' if recall >= RECALL_TARGET else 'missed'}."
        ),
        "",
        (
            f"Where recall goes: for {len(shapes)} of {len(results)} codes ({', '.join(shapes)}) the"
            " two drawn sites are different edits, neither as whole units, nor by their cores"
            " (a run of statements included), nor item by item, nor as names renamed by a table,"
            " nor as one argument deleted (C416: `[x for x in y] -> list(y)` and"
            " `{k: v for k, v in y} -> dict(y)`), and two examples of one edit are the least a rule needs"
            f" (`learn.min_examples`). For {len(same)} ({', '.join(same) or 'none'}) the draw is"
            " one text in two places; a rule from one text generalises only what that code"
            " chose (a variable its function binds, a string the fix makes a name), so sites that"
            " differ in what it spells out (`re.M` for `re.I`) are missed."
            " Where precision goes:"
            f" {losses or 'no'} wrong sites (run with `--show-wrong` to list them)."
        ),
        "",
        _extra_draws(results),
    ]


TABLE_HEAD = [
    (
        "| code | ruff sites | examples drawn (seeded) | learned rule (or why none) | our sites"
        " | right | precision | recall | recall over the extra draws: mean (min–max) |"
    ),
    "|---|---:|---|---|---:|---:|---:|---:|---|",
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--target-lines", type=int, default=DEFAULT_TARGET_LINES)
    parser.add_argument(
        "--trials", type=int, default=TRIALS, help="extra draws per code for the spread"
    )
    parser.add_argument("--codes", default=",".join(CANDIDATE_CODES + ANNOTATION_CODES))
    parser.add_argument("--show-wrong", action="store_true", help="print our wrong sites")
    parser.add_argument(
        "--show-missed", action="store_true", help="print some of ruff's sites we missed"
    )
    parser.add_argument(
        "--no-write", action="store_true", help="print only; leave RESULTS.md alone"
    )
    args = parser.parse_args()
    ruff_version = subprocess.run(
        [*RUFF, "--version"], capture_output=True, text=True, check=False
    ).stdout.strip()
    if not ruff_version:
        sys.exit("ruff is missing from the venv: pip install 'ruff>=0.6'")

    started = time.monotonic()
    results: list[CodeResult] = []
    counts: dict[str, int] = {}
    with tempfile.TemporaryDirectory(prefix="rules-oracle-") as tmp:
        workdir = Path(tmp)
        corpus = build_corpus(seed=args.seed, target_lines=args.target_lines, workdir=workdir)
        print(
            f"corpus: {len(corpus.files)} files, {corpus.lines} lines, {len(corpus.packages)} packages",
            file=sys.stderr,
        )
        for code in args.codes.split(","):
            new = ruff_fixed(corpus, code, workdir=workdir)
            oracle = regions_of(corpus, new)
            counts[code] = sum(len(v) for v in oracle.values())
            if counts[code] < MIN_SITES:
                print(f"{code}: {counts[code]} oracle sites, skipped", file=sys.stderr)
                continue
            trial = run_trial(corpus, oracle, new, rng=random.Random(f"{args.seed}-{code}"))
            extra = [
                run_trial(corpus, oracle, new, rng=random.Random(f"{args.seed}-{code}-{k}")).score
                for k in range(args.trials)
            ]
            results.append(CodeResult(code, trial, extra))
            s = trial.score
            print(
                f"{code}: {counts[code]} sites, precision {_pct(s.precision)} recall {_pct(s.recall)}",
                file=sys.stderr,
            )
            if args.show_wrong:
                for path, before, ours, theirs in s.wrong:
                    print(
                        f"  WRONG {path}: {before!r}\n    ours: {ours!r}\n    ruff: {theirs!r}",
                        file=sys.stderr,
                    )
            if args.show_missed:
                for path, before, theirs in s.missed:
                    print(f"  MISSED {path}: {before!r}\n    ruff: {theirs!r}", file=sys.stderr)
        elapsed = time.monotonic() - started

    primary = [r for r in results if r.code not in ANNOTATION_CODES]
    annotations = [r for r in results if r.code in ANNOTATION_CODES]
    lines = [
        "## Learned rules vs ruff's autofixes (`python -m bench.rules_oracle`)",
        "",
        (
            f"Corpus: {len(corpus.files)} Python files, {corpus.lines:,} lines of"
            f" {len(corpus.packages)} packages from this venv's site-packages (seed {args.seed};"
            f" packages of 500–{MAX_PACKAGE_LINES:,} lines drawn until ≥ {args.target_lines:,} lines"
            f" or none is left;"
            f" {corpus.skipped} files left out: not UTF-8 or not parsable by tree-sitter): "
        )
        + ", ".join(f"{name} ({n:,})" for name, n in corpus.packages)
        + ".",
        "",
        (
            f"Oracle: {ruff_version}, `ruff check --select CODE --fix --unsafe-fixes --no-cache"
            " --isolated` per code, its changes cut into sites with `bot.rules.edit_regions`."
            " Each code's rule is learned (`learn_rules(..., min_examples=2)`) from"
            f" {EXAMPLES_PER_CODE} oracle sites drawn at random (seeded; the second not a copy of the first:"
            f" another edit, or the same edit with other code in the {CONTEXT_LINES} lines around"
            " it) and applied to every corpus file with `apply_rewrite`, as the bot"
            " applies a learned rule (lines marked `# noqa` left alone). A site is right"
            " when the text after our rewrite equals ruff's on the union of the overlapping sites,"
            f" whitespace removed. The last column repeats the draw {args.trials} more times (other"
            " seeds)."
        ),
        "",
        "### Expression and statement rewrites",
        "",
        *TABLE_HEAD,
        *(_row(r) for r in primary),
        *_overall("overall", primary),
        "",
        *_verdict(primary),
        "",
        "### Type-annotation rewrites",
        "",
        (
            "A pattern parsed on its own is an expression (`List[$A]` is a `subscript`), while"
            " tree-sitter parses an annotation as a `type` (`generic_type`). The learner reaches"
            " these through an edit's core: the smallest changed subtree, matched as its kind in"
            " place (ast-grep's contextual pattern, the rule's `selector`) and only where the"
            " examples' cores sat (`inside`)."
        ),
        "",
        *TABLE_HEAD,
        *(_row(r) for r in annotations),
        *_overall("with these codes too", primary + annotations),
        "",
        f"Oracle sites per candidate code (fewer than {MIN_SITES}: not benchmarked): "
        + ", ".join(f"{c} {n}" for c, n in counts.items())
        + ".",
        "",
        f"Run time: {elapsed:.0f} s.",
    ]
    body = "\n".join(lines)
    print(body)
    if not args.no_write:
        write_section("rules_oracle", body)


if __name__ == "__main__":
    main()
