"""Suppression: a person's "no" to one proposal also holds for the next proposal like it.

Pure: past outcomes and a candidate go in, a `Suppression` (with a reason naming the evidence) or
None comes out. A candidate is suppressed when, in the same repository,

* the same learned rule was turned down (one "no" is enough: it is the same change elsewhere);
* a proposal of the same kind was turned down on one of the candidate's target paths;
* at least two proposals of the same kind were turned down under one of the candidate's folders
  (the deepest such folder is named; the repository root never counts, or two "no"s anywhere
  would silence a kind everywhere).

"Turned down" means a person said no: closed unmerged, ignored, reverted, or 👎 on the bot's
comment. A CI failure is not a "no" (the patch was broken, not unwanted). A later success in the
same scope (the rule merged, the same kind merged on that path or under that folder) answers the
"no"s before it, so only those since the latest success count. `/evolve retry` lifts a
suppression: its key, or the candidate proposal's own key, in `lifted_by_retry` lets it through.
Target paths are known once a proposal is patched; before that only the rule can be checked.
The counts above are the defaults of `Thresholds`; `bench/suppression.py` measures other choices.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass

from bot.confidence import Outcome, rule_id_of
from bot.proposals import Proposal

MAX_LISTED = 5  # evidence named in a reason; the rest are counted

RULE_REJECTED = "rule `{rule}` was turned down before: {evidence}"
PATH_REJECTED = "a {kind} change to `{path}` was turned down before: {evidence}"
DIR_REJECTED = "{count} {kind} changes under `{folder}` were turned down: {evidence}"
RETRY_HINT = "; say `/evolve retry` to try anyway"
EVIDENCE_ITEM = "`{id}` ({reason} {date})"
MORE_EVIDENCE = " and {count} more"

RULE_KEY = "rule:{rule}"
PATH_KEY = "path:{kind}:{path}"
DIR_KEY = "dir:{kind}:{folder}"

BAD_PATHS = "paths must be a list of file paths, got {value!r}"
EMPTY_KIND = "a candidate needs a kind"
BAD_THRESHOLD = "threshold {name} must be a whole number ≥ 1, got {value!r}"


@dataclass(frozen=True, slots=True, kw_only=True)
class Thresholds:
    """How many people's "no"s (since the scope's last success) suppress each scope."""

    rule: int = 1  # the same learned rule: one "no" is enough, it is the same change elsewhere
    path: int = 1  # the same kind on one of the same files
    folder: int = 2  # the same kind under one folder: one "no" there could be about anything

    def __post_init__(self) -> None:
        for name in ("rule", "path", "folder"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(BAD_THRESHOLD.format(name=name, value=value))


DEFAULT_THRESHOLDS = Thresholds()


@dataclass(frozen=True, slots=True)
class Suppression:
    """Why a candidate is not proposed: `reason` for people, `key` for `/evolve retry` to lift."""

    reason: str
    key: str
    evidence: tuple[str, ...]  # ids of the proposals that were turned down


@dataclass(frozen=True, slots=True, kw_only=True)
class Candidate:
    """A change the bot is about to propose, as far as suppression needs to know it."""

    repository: str
    kind: str
    rule_id: str | None = None
    paths: tuple[str, ...] = ()
    key: str | None = None  # the proposal's stable key, when it has one

    def __post_init__(self) -> None:
        if not self.kind:
            raise ValueError(EMPTY_KIND)
        if isinstance(self.paths, str) or not isinstance(self.paths, tuple):
            raise TypeError(BAD_PATHS.format(value=self.paths))

    @classmethod
    def of(cls, proposal: Proposal) -> Candidate:
        return cls(
            repository=proposal.repository,
            kind=proposal.kind,
            rule_id=rule_id_of(proposal),
            paths=tuple(proposal.targets),
            key=proposal.key,
        )


def suppression_for(
    candidate: Candidate,
    *,
    outcomes: Iterable[Outcome],
    lifted_by_retry: Collection[str] = frozenset(),
    thresholds: Thresholds = DEFAULT_THRESHOLDS,
) -> Suppression | None:
    """The first suppression that applies to `candidate` and was not lifted, or None."""
    if candidate.key is not None and candidate.key in lifted_by_retry:
        return None
    for found in _suppressions(candidate, outcomes, thresholds):
        if found.key not in lifted_by_retry:
            return found
    return None


def _suppressions(
    candidate: Candidate, outcomes: Iterable[Outcome], thresholds: Thresholds
) -> Iterable[Suppression]:
    """Every suppression that applies, most specific first: rule, then path, then folder."""
    history = sorted(
        (o for o in outcomes if o.repository == candidate.repository), key=lambda o: o.at
    )
    if candidate.rule_id is not None:
        noes = _since_last_success([o for o in history if o.rule_id == candidate.rule_id])
        if len(noes) >= thresholds.rule:
            yield _suppression(
                RULE_REJECTED.format(rule=candidate.rule_id, evidence=_evidence(noes)),
                RULE_KEY.format(rule=candidate.rule_id),
                noes,
            )
    same_kind = [o for o in history if o.kind == candidate.kind]
    paths = sorted({normalised(p) for p in candidate.paths} - {""})
    for path in paths:
        noes = _since_last_success([o for o in same_kind if path in _paths(o)])
        if len(noes) >= thresholds.path:
            yield _suppression(
                PATH_REJECTED.format(kind=candidate.kind, path=path, evidence=_evidence(noes)),
                PATH_KEY.format(kind=candidate.kind, path=path),
                noes,
            )
    folders = sorted({f for p in paths for f in folders_of(p)}, key=lambda f: (-f.count("/"), f))
    for folder in folders:  # deepest first: the most specific folder explains the "no"s best
        noes = _since_last_success(
            [o for o in same_kind if any(p.startswith(folder) for p in _paths(o))]
        )
        if len(noes) >= thresholds.folder:
            yield _suppression(
                DIR_REJECTED.format(
                    count=len(noes), kind=candidate.kind, folder=folder, evidence=_evidence(noes)
                ),
                DIR_KEY.format(kind=candidate.kind, folder=folder),
                noes,
            )


def _suppression(reason: str, key: str, noes: Sequence[Outcome]) -> Suppression:
    return Suppression(reason + RETRY_HINT, key, tuple(o.proposal_id for o in noes))


def _since_last_success(scope: Sequence[Outcome]) -> list[Outcome]:
    """The people's "no"s in `scope` (sorted by time) since its latest success."""
    last_yes = max((i for i, o in enumerate(scope) if o.success), default=-1)
    return [o for o in scope[last_yes + 1 :] if o.people_said_no]


def _evidence(noes: Sequence[Outcome]) -> str:
    # Newest first: the latest "no" is the one a person most likely remembers.
    shown = [
        EVIDENCE_ITEM.format(id=o.proposal_id, reason=o.reason, date=_date(o.at))
        for o in reversed(noes[-MAX_LISTED:])
    ]
    more = MORE_EVIDENCE.format(count=len(noes) - MAX_LISTED) if len(noes) > MAX_LISTED else ""
    return ", ".join(shown) + more


def _date(at: dt.datetime) -> str:
    return at.astimezone(dt.UTC).date().isoformat()


def _paths(outcome: Outcome) -> set[str]:
    return {normalised(p) for p in outcome.paths} - {""}


def normalised(path: str) -> str:
    """A repository path as diffs and payloads spell it differently: no './', no leading '/'."""
    path = path.replace("\\", "/")
    while path.startswith("./"):
        path = path[2:]
    return path.lstrip("/")


def folders_of(path: str) -> list[str]:
    """The folders `path` sits in, each ending in '/', deepest first; never the root."""
    parts = normalised(path).split("/")[:-1]
    return ["/".join(parts[:i]) + "/" for i in range(len(parts), 0, -1)]
