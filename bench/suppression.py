"""How well a "no" generalises: suppression of near proposals, and false suppressions, against a peer.

Run: `python -m bench.suppression [--seed 20261122] [--replays 50]`.

Two parts.

1. Constructed cases: turned-down proposals and candidates built by hand, some near (the same
   rule; the same kind on the same file, however spelled; the same kind under a folder with two
   "no"s) and some not (another kind; one "no" in the folder; files at the root; a CI failure; a
   "no" a later merge answered; another repository; a retry). This checks the rules as specified.

2. Simulated reviewers, which is the real test: reviewers have hidden dislikes — one top-level
   folder for every kind, two sub-folders per kind, three learned rules — and turn down a
   disliked proposal with probability 0.9; any other proposal is turned down with a noise
   probability (they say no for reasons of their own), and 10 % of proposals fail CI (not a "no").
   A history of proposals gets its outcomes; then new candidates come, drawn the same way. A
   candidate is *near* when it hits a dislike. Recall is the share of near candidates suppressed;
   the false suppression rate is the share of the others suppressed. The peer is what the bot did
   before this module: refuse only the same change again (same kind, rule and paths: the same
   proposal key). A stricter setting of `bot.suppression.Thresholds` runs alongside.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from bench.results import write_section
from bot.confidence import (
    CI_FAILED,
    CLOSED_UNMERGED,
    IGNORED,
    MERGED,
    REVERTED,
    THUMBS_DOWN,
    Outcome,
)
from bot.suppression import DEFAULT_THRESHOLDS, Candidate, Thresholds, suppression_for

REPO = "bench/suppression"
T0 = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
DAY = dt.timedelta(days=1)

KINDS = {"rewrite": 0.4, "instruction": 0.3, "learned_rule": 0.3}
RULES = [f"R{i}" for i in range(12)]
TOP_FOLDERS = [f"pkg{i}" for i in range(10)] + ["legacy"]
SUB_FOLDERS = 3
FILES_PER_FOLDER = 5
HISTORY = 120
CANDIDATES = 300
DISLIKED_P = 0.9
CI_FAIL_P = 0.1
NOISE_LEVELS = (0.1, 0.25, 0.4)
NO_REASONS = (CLOSED_UNMERGED, CLOSED_UNMERGED, REVERTED, IGNORED, THUMBS_DOWN)


# -- part 1: constructed cases --------------------------------------------------------------


def outcome(
    pid: str,
    *paths: str,
    kind: str = "rewrite",
    rule: str | None = None,
    reason: str = CLOSED_UNMERGED,
    day: int = 0,
    repository: str = REPO,
) -> Outcome:
    return Outcome(
        proposal_id=pid,
        repository=repository,
        kind=kind,
        rule_id=rule,
        paths=paths,
        predicted=0.6,
        success=reason == MERGED,
        at=T0 + day * DAY,
        reason=reason,
    )


@dataclass(frozen=True)
class Case:
    name: str
    near: bool
    history: tuple[Outcome, ...]
    candidate: Candidate
    lifted: frozenset[str] = frozenset()


def cand(
    *paths: str, kind: str = "rewrite", rule: str | None = None, key: str | None = None
) -> Candidate:
    return Candidate(repository=REPO, kind=kind, rule_id=rule, paths=paths, key=key)


TWO_LEGACY = (outcome("r1", "legacy/x.py", day=1), outcome("r2", "legacy/y.py", day=2))
CASES = (
    Case(
        "same rule, other paths",
        True,
        (outcome("l1", "src/a.py", kind="learned_rule", rule="R1"),),
        cand("lib/b.py", kind="learned_rule", rule="R1"),
    ),
    Case("same kind, same file", True, (outcome("r1", "src/a.py"),), cand("src/a.py", "src/c.py")),
    Case("same kind, same file spelled ./", True, (outcome("r1", "src/a.py"),), cand("./src/a.py")),
    Case("same kind, folder with 2 noes", True, TWO_LEGACY, cand("legacy/z.py")),
    Case(
        "same kind, deeper in a folder with 2 noes",
        True,
        (outcome("r1", "legacy/old/x.py"), outcome("r2", "legacy/old/y.py")),
        cand("legacy/old/deep/q.py"),
    ),
    Case(
        "reverted counts as no",
        True,
        (outcome("r1", "src/a.py", reason=REVERTED),),
        cand("src/a.py"),
    ),
    Case(
        "👎 counts as no", True, (outcome("r1", "src/a.py", reason=THUMBS_DOWN),), cand("src/a.py")
    ),
    Case(
        "another kind, same file",
        False,
        (outcome("r1", "src/a.py"),),
        cand("src/a.py", kind="instruction"),
    ),
    Case(
        "same kind, folder with 1 no", False, (outcome("r1", "legacy/x.py"),), cand("legacy/z.py")
    ),
    Case(
        "same kind, 2 noes on root files",
        False,
        (outcome("r1", "setup.py"), outcome("r2", "tox.ini")),
        cand("README.md"),
    ),
    Case(
        "CI failure only", False, (outcome("r1", "src/a.py", reason=CI_FAILED),), cand("src/a.py")
    ),
    Case(
        "a later merge answered the no",
        False,
        (outcome("r1", "src/a.py", day=1), outcome("r2", "src/a.py", reason=MERGED, day=2)),
        cand("src/a.py"),
    ),
    Case(
        "another repository",
        False,
        (outcome("r1", "src/a.py", repository="someone/else"),),
        cand("src/a.py"),
    ),
    Case(
        "another rule, other paths",
        False,
        (outcome("l1", "src/a.py", kind="learned_rule", rule="R1"),),
        cand("lib/b.py", kind="learned_rule", rule="R2"),
    ),
    Case(
        "lifted by /evolve retry",
        False,
        TWO_LEGACY,
        cand("legacy/z.py", key="k"),
        lifted=frozenset({"k"}),
    ),
)


def constructed() -> tuple[list[str], int, int, int, int]:
    rows = []
    near_hit = near = far_hit = far = 0
    for case in CASES:
        found = suppression_for(case.candidate, outcomes=case.history, lifted_by_retry=case.lifted)
        rows.append(
            f"| {case.name} | {'near' if case.near else 'not near'} | "
            f"{'suppressed: `' + found.key + '`' if found else 'proposed'} |"
        )
        if case.near:
            near, near_hit = near + 1, near_hit + (found is not None)
        else:
            far, far_hit = far + 1, far_hit + (found is not None)
    return rows, near_hit, near, far_hit, far


# -- part 2: simulated reviewers ------------------------------------------------------------


@dataclass(frozen=True)
class Proposed:
    kind: str
    rule: str | None
    paths: tuple[str, ...]


@dataclass(frozen=True)
class Reviewers:
    folders: frozenset[str]  # disliked for every kind ("legacy/")
    kind_folders: frozenset[tuple[str, str]]  # (kind, "pkg3/s1/")
    rules: frozenset[str]

    def dislike(self, p: Proposed) -> bool:
        return (
            any(path.startswith(f) for path in p.paths for f in self.folders)
            or any((p.kind, path.rsplit("/", 1)[0] + "/") in self.kind_folders for path in p.paths)
            or (p.rule is not None and p.rule in self.rules)
        )


def sub_folders() -> list[str]:
    return [f"{top}/s{i}/" for top in TOP_FOLDERS for i in range(SUB_FOLDERS)]


def reviewers(rng: random.Random) -> Reviewers:
    subs = [s for s in sub_folders() if not s.startswith("legacy/")]
    return Reviewers(
        folders=frozenset({"legacy/"}),
        kind_folders=frozenset((kind, s) for kind in KINDS for s in rng.sample(subs, 2)),
        rules=frozenset(rng.sample(RULES, 3)),
    )


def propose(rng: random.Random) -> Proposed:
    kind = rng.choices(list(KINDS), weights=list(KINDS.values()))[0]
    folders = sub_folders()
    home = rng.choice(folders)
    files = [f"{home}m{j}.py" for j in rng.sample(range(FILES_PER_FOLDER), rng.choice((1, 1, 2)))]
    if rng.random() < 0.2:  # now and then a change reaches into a second folder
        files.append(f"{rng.choice(folders)}m{rng.randrange(FILES_PER_FOLDER)}.py")
    rule = rng.choice(RULES) if kind == "learned_rule" else None
    return Proposed(kind, rule, tuple(sorted(set(files))))


def review(rng: random.Random, who: Reviewers, p: Proposed, *, noise: float) -> str:
    if rng.random() < CI_FAIL_P:
        return CI_FAILED
    said_no = rng.random() < (DISLIKED_P if who.dislike(p) else noise)
    return rng.choice(NO_REASONS) if said_no else MERGED


def exact_key_peer(history: Sequence[Outcome], p: Proposed) -> bool:
    """The bot before this module: the same change, turned down and not merged since, is refused."""
    same = [
        o
        for o in history
        if (o.kind, o.rule_id, frozenset(o.paths)) == (p.kind, p.rule, frozenset(p.paths))
    ]
    last = max(same, key=lambda o: o.at, default=None)
    return last is not None and last.people_said_no


STRICT = Thresholds(rule=2, path=2, folder=2)


def ours(
    history: Sequence[Outcome], p: Proposed, thresholds: Thresholds = DEFAULT_THRESHOLDS
) -> str | None:
    """The key of the suppression `bot.suppression` finds, or None."""
    candidate = Candidate(repository=REPO, kind=p.kind, rule_id=p.rule, paths=p.paths)
    found = suppression_for(candidate, outcomes=history, thresholds=thresholds)
    return found.key.split(":")[0] if found else None


@dataclass
class Tally:
    """Suppressions of near and other candidates, and which scope suppressed the others."""

    near: int = 0
    far: int = 0
    near_hits: int = 0
    far_hits: int = 0
    far_by_scope: dict[str, int] = field(default_factory=dict)

    def add(self, *, near: bool, hit: str | None) -> None:
        if near:
            self.near, self.near_hits = self.near + 1, self.near_hits + (hit is not None)
        else:
            self.far, self.far_hits = self.far + 1, self.far_hits + (hit is not None)
            if hit is not None:
                self.far_by_scope[hit] = self.far_by_scope.get(hit, 0) + 1

    @property
    def recall(self) -> float:
        return self.near_hits / self.near

    @property
    def false_rate(self) -> float:
        return self.far_hits / self.far

    def false_share(self, scope: str) -> float:
        return self.far_by_scope.get(scope, 0) / self.far


def simulate(seed: int, *, noise: float, tallies: dict[str, Tally]) -> None:
    rng = random.Random(seed)
    who = reviewers(rng)
    history = []
    for index in range(HISTORY):
        p = propose(rng)
        reason = review(rng, who, p, noise=noise)
        history.append(
            Outcome(
                proposal_id=f"p{index}",
                repository=REPO,
                kind=p.kind,
                rule_id=p.rule,
                paths=p.paths,
                predicted=0.6,
                success=reason == MERGED,
                at=T0 + index * DAY,
                reason=reason,
            )
        )
    deciders: dict[str, Callable[[Sequence[Outcome], Proposed], str | None]] = {
        "ours": ours,
        "strict": lambda h, p: ours(h, p, STRICT),
        "peer": lambda h, p: "same change" if exact_key_peer(h, p) else None,
    }
    for _ in range(CANDIDATES):
        candidate = propose(rng)
        near = who.dislike(candidate)
        for name, decide in deciders.items():
            tallies[name].add(near=near, hit=decide(history, candidate))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=20261122)
    parser.add_argument("--replays", type=int, default=50)
    args = parser.parse_args()

    rows, near_hit, near, far_hit, far = constructed()
    sim_rows, scope_rows = [], []
    for noise in NOISE_LEVELS:
        tallies = {name: Tally() for name in ("ours", "strict", "peer")}
        for i in range(args.replays):
            simulate(args.seed + i, noise=noise, tallies=tallies)
        t, strict, peer = tallies["ours"], tallies["strict"], tallies["peer"]
        near_share = t.near / (t.near + t.far)
        sim_rows.append(
            f"| {noise:.2f} | {near_share:.0%} | {t.recall:.1%} | {t.false_rate:.1%} "
            f"| {peer.recall:.1%} | {peer.false_rate:.1%} | {t.recall / peer.recall:.1f} "
            f"| {strict.recall:.1%} | {strict.false_rate:.1%} |"
        )
        scope_rows.append(
            f"| {noise:.2f} | {t.false_share('rule'):.1%} | {t.false_share('path'):.1%} "
            f"| {t.false_share('dir'):.1%} |"
        )
    body = "\n".join(
        [
            "## Suppression: a no that generalises (`bench/suppression.py`)",
            "",
            f"Command: `python -m bench.suppression --seed {args.seed} --replays {args.replays}`",
            "",
            (
                f"**Constructed cases** (the rules as specified): {near_hit} of {near} near candidates "
                f"suppressed, {far_hit} of {far} not-near candidates suppressed."
            ),
            "",
            "| case | truth | result |",
            "|---|---|---|",
            *rows,
            "",
            (
                f"**Simulated reviewers** (mean of {args.replays} replays per row): {HISTORY} proposals of "
                f"history, then {CANDIDATES} candidates, over {len(TOP_FOLDERS)} top-level folders × "
                f"{SUB_FOLDERS} sub-folders × {FILES_PER_FOLDER} files, kinds {', '.join(KINDS)}, "
                f"{len(RULES)} learned rules. Hidden dislikes: `legacy/` for every kind, 2 sub-folders per "
                f"kind, 3 rules; a disliked proposal is turned down with p {DISLIKED_P}, any other with "
                f"p = noise; {CI_FAIL_P:.0%} fail CI (not a no). Near = the candidate hits a dislike. Peer "
                "= refuse only the same change again (same kind, rule and paths)."
            ),
            "",
            "| noise | near candidates | ours: recall | ours: false suppressions | peer: recall | peer: false suppressions | recall ours/peer | strict (2 noes for every scope): recall | strict: false suppressions |",
            "|---|---|---|---|---|---|---|---|---|",
            *sim_rows,
            "",
            "Which scope made our false suppressions (share of all not-near candidates):",
            "",
            "| noise | same rule | same file | same folder |",
            "|---|---|---|---|",
            *scope_rows,
            "",
            (
                "Recall cannot reach 100 %: a dislike the history never showed for that kind (or showed "
                "only once in a folder, with no repeat on the same file) leaves nothing to generalise "
                "from. False suppressions have two sources: noise (an unrelated no of one kind on a "
                "file, or two in one folder, read as a dislike until a merge there answers them) and "
                "guilt by association (a proposal turned down for its disliked folder also marks its "
                "rule and its other files). The specified thresholds (one no for a rule or a file) "
                "favour recall; `Thresholds(rule=2, path=2, folder=2)` is the stricter trade. Either "
                "way `/evolve retry` lifts a suppression."
            ),
        ]
    )
    write_section("suppression", body)
    print(body)


if __name__ == "__main__":
    main()
