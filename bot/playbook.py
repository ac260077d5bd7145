"""The playbook: short lessons learned from outcomes (ACE's Reflector and Curator), kept as Markdown.

After ACE (Agentic Context Engineering, arXiv 2510.04618): the playbook is a list of itemised
lessons, each with helpful/harmful counters, grown by small deltas instead of being rewritten.

* `reflect` (the Reflector) counts outcomes per scope — a folder or file, a learned rule, a kind —
  and states what the counts bear out as a `LessonDelta`: its text, the outcomes that support it
  and those that contradict it. Every lesson is a statistic over named outcomes, never a guess.
* `curate` (the Curator) merges deltas into the playbook: a matching lesson (same key, or a
  near-duplicate text) gets its counters bumped by outcomes it has not counted yet, a strong new
  delta becomes a new lesson, near-duplicates merge, and lessons that evidence keeps
  contradicting or that have not been supported for `STALE_AFTER` outcomes are pruned. A lesson's
  text is never rewritten. `material_change` says whether the result is worth a `playbook` PR.
* `render`/`parse` keep it in `.github/evolve/playbook.md`. The file is authoritative: a person
  may reword, delete or add lessons and the parsed file is the playbook from then on. A lesson a
  person deleted comes back only when a new outcome in its scope arrives (the file records the
  time of the newest outcome it has taken in).
* `gate_hints` turns lessons about paths into gate adjustments (ask first, or lower confidence),
  and `prompt_section` puts the lessons in front of the model that writes free-text proposals.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import difflib
import fnmatch
import re
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from urllib.parse import quote, unquote

from bot.confidence import CI_FAILED, REVERTED, Outcome
from bot.proposals import Proposal
from bot.suppression import folders_of, normalised

PLAYBOOK_PATH = ".github/evolve/playbook.md"
MAX_PLAYBOOK_CHARS = 256 * 1024

# Support a new lesson needs, and how kind-wide rates are judged.
MIN_SUPPORT = 2
MIN_KIND_OUTCOMES = 4
# Pruning: contradicted at least this often, and this many times more than borne out ...
PRUNE_MIN_HARMFUL = 3
PRUNE_RATIO = 2
# ... or no new support while this many outcomes went by (measured lessons only).
STALE_AFTER = 100
# Near-duplicate texts (after normalising case, punctuation and spacing).
SIMILAR_TEXT = 0.85
# A counter reaching one of these is news worth a playbook PR.
HELPFUL_MILESTONES = (3, 5, 10, 20, 50, 100)
MAX_PROMPT_LESSONS = 30

# Lesson keys (the first tag): what a lesson is about.
DIR_TAG = "reject-dir:{folder}"
PATH_TAG = "reject-path:{path}"
RULE_TAG = "rule:{rule}"
CI_TAG = "ci-fail:{kind}"
KIND_TAG = "reject-kind:{kind}"
KIND_FILTER = "kind:"  # an extra tag `kind:rewrite` limits a lesson to that kind

DIR_LESSON = "Reviewers here reject changes under `{folder}`."
PATH_LESSON = "Reviewers here reject changes to `{path}`."
RULE_REVERTED_LESSON = "Rule `{rule}`{title} was reverted {times} here."
RULE_REJECTED_LESSON = "Rule `{rule}`{title} was turned down {times} here ({how})."
CI_LESSON = "`{kind}` proposals fail CI more often than not here ({fails} of {n})."
KIND_LESSON = "Reviewers here turn down most `{kind}` proposals ({noes} of {n})."

ADDED = "added {id}: {text}"
REMOVED_HARMFUL = "removed {id} (contradicted {harmful} times, borne out {helpful}): {text}"
REMOVED_STALE = "removed {id} (no support in the last {outcomes} outcomes): {text}"
MERGED_DUPLICATE = "merged {id} into {into} (near-duplicate): {text}"
CROSSED_HELPFUL = "{id} is now borne out {helpful} times: {text}"
CROSSED_CONTESTED = (
    "{id} is now contradicted as often as borne out ({harmful} vs {helpful}): {text}"
)

HINT_ASK = "playbook {id}: {text} (borne out {helpful}, contradicted {harmful}); asking first"
HINT_LOWER = (
    "playbook {id}: {text} (borne out {helpful}, contradicted {harmful}); confidence {delta:+.2f}"
)
HINT_PERSON = "playbook {id}: {text} (written by a person); asking first"

PROMPT_HEADING = "## Lessons from this repository (evolve-bot playbook)"
PROMPT_INTRO = (
    "What reviewers here did with earlier proposals. Follow these lessons unless the request "
    "explicitly says otherwise."
)
PROMPT_ITEM = "- {text}{counts}"
PROMPT_COUNTS = " (borne out {helpful} times, contradicted {harmful})"

TITLE = "# evolve-bot playbook"
PREAMBLE = """\
Lessons evolve-bot learned from how its pull requests went in this repository. It reads this file
back as its playbook, so edit it freely: reword, delete or add a lesson (a line starting with
`- ` under the Lessons heading). The comment under a lesson holds the bot's counters for it.
Text outside the Lessons list is rewritten by the bot."""
LESSONS_HEADING = "## Lessons"
HEADER_COMMENT = "<!-- evolve-bot playbook: outcomes: {outcomes}; through: {through} -->"
META_COMMENT = "<!-- helpful: {helpful}; harmful: {harmful}; supported: {supported}; tags: {tags}; evidence: {evidence} -->"
NEVER = "never"

# A lesson line: "- [L3] text" (the id is optional: a person adding a lesson leaves it out).
LESSON_LINE = re.compile(
    r"""
    ^[-*][ \t]+                 # a Markdown bullet
    (?:\[(?P<id>L[0-9]+)\][ \t]*)?  # the lesson's id, as the bot writes it
    (?P<text>.*?)[ \t]*$        # the lesson itself
    """,
    re.VERBOSE,
)
# The bot's comments: the file header, and the counters under each lesson.
COMMENT_LINE = re.compile(
    r"""
    ^[ \t]*<!--[ \t]*
    (?P<body>.*?)               # what the comment says
    [ \t]*-->[ \t]*$
    """,
    re.VERBOSE,
)
HEADER_BODY = re.compile(
    r"""
    ^evolve-bot[ ]playbook:[ ]*
    (?P<fields>.*)              # "outcomes: 42; through: 2026-01-09T10:00:00+00:00"
    """,
    re.VERBOSE,
)
HEADING_LINE = re.compile(
    r"""
    ^[ ]{0,3}\#{1,6}[ \t]+      # an ATX heading, as CommonMark allows it
    (?P<title>.*?)[ \t#]*$
    """,
    re.VERBOSE,
)
# A path a person wrote in backticks in a lesson: no spaces, and a '/' or a '.' in it.
PATH_IN_TEXT = re.compile(
    r"""
    `(?P<path>[^`\s]*[/.][^`\s]*)`   # `legacy/`, `setup.py`, `docs/*.md`
    """,
    re.VERBOSE,
)
NORMALISE = re.compile(
    r"""
    [^a-z0-9/._-]+              # everything but words and path characters becomes one space
    """,
    re.VERBOSE,
)

ERROR_PREFIX = "{path} line {line}: {message}"
TOO_LONG = "the file is {length} characters long; the limit is {limit}"
NO_LESSONS_HEADING = "no `## Lessons` heading; the lessons are the `- ` items under it"
SECOND_LESSONS_HEADING = "a second `## Lessons` heading (the first is on line {first})"
OTHER_HEADING = "a heading ({heading!r}) under `## Lessons`; the playbook is one list of lessons"
NOT_A_LESSON = "expected a lesson (a line starting with `- `), got {text!r}"
EMPTY_LESSON = "a lesson with no text"
DUPLICATE_ID = "lesson {id} appears twice (first on line {first})"
ORPHAN_COMMENT = "a counters comment with no lesson above it"
SECOND_COMMENT = "a second counters comment for lesson {id}"
UNCLOSED_COMMENT = "a comment that does not close (`-->`) on the same line"
BAD_HEADER = "the playbook header comment: {problem}"
BAD_META = "the counters of lesson {id}: {problem}"
UNKNOWN_FIELD = "unknown field {name!r} (the fields are {known})"
DUPLICATE_FIELD = "{name!r} given twice"
MISSING_FIELD = "missing {name!r}"
NOT_A_COUNT = "{name} must be a whole number ≥ 0, got {value!r}"
NOT_A_TIME = "{name} must be an ISO 8601 time with a timezone, or 'never', got {value!r}"
FIELD_FORMAT = "expected 'name: value' parts separated by ';', got {part!r}"

BAD_LESSON = "a lesson {problem}"
BAD_CLOCK = (
    "outcomes_seen went back from {before} to {after}; pass the count of all outcomes reflected on"
)

META_FIELDS = ("helpful", "harmful", "supported", "tags", "evidence")
HEADER_FIELDS = ("outcomes", "through")


class PlaybookError(ValueError):
    """The playbook file cannot be read; `.line` and `.message` say where and what to fix."""

    def __init__(self, line: int, message: str) -> None:
        self.line = line
        self.message = message
        super().__init__(ERROR_PREFIX.format(path=PLAYBOOK_PATH, line=line, message=message))


@dataclass(frozen=True, slots=True, kw_only=True)
class Lesson:
    """One itemised lesson with its counters; the first tag (if any) is the key deltas match on."""

    id: str
    text: str
    helpful: int = 0
    harmful: int = 0
    evidence: tuple[str, ...] = ()  # ids of the outcomes already counted, either way
    tags: tuple[str, ...] = ()
    supported_at: int = 0  # the playbook's outcome count when the lesson last gained support

    def __post_init__(self) -> None:
        if not re.fullmatch(r"L[0-9]+", self.id):
            raise ValueError(BAD_LESSON.format(problem=f"id must look like L1, got {self.id!r}"))
        # One line, single spaces: what the Markdown file can hold and give back unchanged.
        object.__setattr__(self, "text", " ".join(self.text.split()))
        if not self.text:
            raise ValueError(BAD_LESSON.format(problem="needs some text"))
        for name in ("helpful", "harmful", "supported_at"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise ValueError(
                    BAD_LESSON.format(problem=NOT_A_COUNT.format(name=name, value=value))
                )
        for name in ("evidence", "tags"):
            values = getattr(self, name)
            if (
                isinstance(values, str)
                or not isinstance(values, tuple)
                or not all(isinstance(v, str) and v.strip() for v in values)
            ):
                raise ValueError(
                    BAD_LESSON.format(problem=f"{name} must be a tuple of non-empty texts")
                )

    @property
    def key(self) -> str | None:
        return self.tags[0] if self.tags else None

    @property
    def number(self) -> int:
        return int(self.id[1:])


@dataclass(frozen=True, slots=True)
class Playbook:
    """The lessons in file order, how many outcomes were reflected on, and the newest one's time."""

    lessons: tuple[Lesson, ...] = ()
    outcomes_seen: int = 0
    through: dt.datetime | None = None

    def __post_init__(self) -> None:
        ids = [lesson.id for lesson in self.lessons]
        if len(ids) != len(set(ids)):
            raise ValueError(f"lesson ids must be unique, got {', '.join(ids)}")
        if self.through is not None and self.through.tzinfo is None:
            raise ValueError(NOT_A_TIME.format(name="through", value=self.through))

    def lesson(self, lesson_id: str) -> Lesson | None:
        return next((lesson for lesson in self.lessons if lesson.id == lesson_id), None)


@dataclass(frozen=True, slots=True, kw_only=True)
class LessonDelta:
    """What the Reflector saw in one scope: a lesson's text and the outcomes for and against it."""

    key: str
    text: str
    tags: tuple[str, ...]
    supporting: tuple[str, ...]  # outcome (proposal) ids that bear it out
    contradicting: tuple[str, ...]  # ids that go against it
    # When the newest outcome it counts became final: a lesson a person deleted comes back only
    # when the scope has news (a count crossing the line for a new lesson is news too).
    newest: dt.datetime | None
    strong: bool  # enough support to start a new lesson (an existing one is bumped regardless)


@dataclass(frozen=True, slots=True)
class Curation:
    """The curated playbook, whether it changed enough for a PR, and what changed, in words."""

    playbook: Playbook
    material_change: bool
    changes: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Adjustment:
    """What a lesson asks of the gate for one proposal: lower the confidence, or ask first."""

    reason: str
    lesson_id: str
    confidence_delta: float = 0.0
    force_ask: bool = False


# -- the Reflector --------------------------------------------------------------------------


def reflect(
    outcomes: Iterable[Outcome], proposals_info: Mapping[str, Proposal] | None = None
) -> list[LessonDelta]:
    """Lessons the outcomes bear out, with the evidence for and against each.

    `outcomes` is one repository's history (running again over the same outcomes is harmless:
    the Curator counts an outcome once per lesson). `proposals_info` maps proposal ids to their
    proposals, used to name a rule by its proposal's title.
    """
    history = sorted(outcomes, key=lambda o: o.at)
    repositories = {o.repository for o in history}
    if len(repositories) > 1:
        raise ValueError(
            f"reflect works on one repository's outcomes, got {', '.join(sorted(repositories))}"
        )
    info = proposals_info or {}
    return [*_path_deltas(history), *_rule_deltas(history, info), *_kind_deltas(history)]


def _path_deltas(history: Sequence[Outcome]) -> list[LessonDelta]:
    """The most specific files and folders where people said no at least twice, across kinds."""
    noes: dict[str, set[int]] = defaultdict(set)
    yeses: dict[str, set[int]] = defaultdict(set)
    for index, o in enumerate(history):
        scopes = {s for p in o.paths if (path := normalised(p)) for s in (path, *folders_of(path))}
        for scope in scopes:
            if o.people_said_no:
                noes[scope].add(index)
            elif o.success:
                yeses[scope].add(index)
    deltas = []
    for scope, against in sorted(noes.items()):
        if len(against) < MIN_SUPPORT:
            continue
        # A folder whose "no"s all sit in one deeper file or folder says nothing that one does not.
        deeper = [s for s in noes if s != scope and s.startswith(scope) and scope.endswith("/")]
        if any(noes[s] == against for s in deeper):
            continue
        is_folder = scope.endswith("/")
        deltas.append(
            _delta(
                history,
                key=(DIR_TAG.format(folder=scope) if is_folder else PATH_TAG.format(path=scope)),
                text=(
                    DIR_LESSON.format(folder=scope) if is_folder else PATH_LESSON.format(path=scope)
                ),
                supporting=against,
                contradicting=yeses.get(scope, set()),
                strong=len(against) > len(yeses.get(scope, ())),
            )
        )
    return deltas


def _rule_deltas(history: Sequence[Outcome], info: Mapping[str, Proposal]) -> list[LessonDelta]:
    by_rule: dict[str, list[int]] = defaultdict(list)
    for index, o in enumerate(history):
        if o.rule_id is not None:
            by_rule[o.rule_id].append(index)
    deltas = []
    for rule, indexes in sorted(by_rule.items()):
        failed = {i for i in indexes if not history[i].success}
        if not failed:
            continue
        worked = {i for i in indexes if history[i].success}
        reasons = [history[i].reason for i in sorted(failed)]
        title = next(
            (
                f" ({info[history[i].proposal_id].title})"
                for i in indexes
                if history[i].proposal_id in info
            ),
            "",
        )
        if all(r == REVERTED for r in reasons):
            text = RULE_REVERTED_LESSON.format(rule=rule, title=title, times=_times(len(failed)))
        else:
            how = ", ".join(f"{count} {reason}" for reason, count in _tally(reasons))
            text = RULE_REJECTED_LESSON.format(
                rule=rule, title=title, times=_times(len(failed)), how=how
            )
        deltas.append(
            _delta(
                history,
                key=RULE_TAG.format(rule=rule),
                text=text,
                supporting=failed,
                contradicting=worked,
                strong=len(failed) >= MIN_SUPPORT and len(failed) > len(worked),
            )
        )
    return deltas


def _kind_deltas(history: Sequence[Outcome]) -> list[LessonDelta]:
    by_kind: dict[str, list[int]] = defaultdict(list)
    for index, o in enumerate(history):
        by_kind[o.kind].append(index)
    deltas = []
    for kind, indexes in sorted(by_kind.items()):
        n = len(indexes)
        ci_failed = {i for i in indexes if history[i].reason == CI_FAILED}
        if ci_failed:
            deltas.append(
                _delta(
                    history,
                    key=CI_TAG.format(kind=kind),
                    text=CI_LESSON.format(kind=kind, fails=len(ci_failed), n=n),
                    supporting=ci_failed,
                    contradicting=set(indexes) - ci_failed,
                    strong=n >= MIN_KIND_OUTCOMES and 2 * len(ci_failed) > n,
                )
            )
        said_no = {i for i in indexes if history[i].people_said_no}
        accepted = {i for i in indexes if history[i].success}
        if said_no:
            deltas.append(
                _delta(
                    history,
                    key=KIND_TAG.format(kind=kind),
                    text=KIND_LESSON.format(
                        kind=kind, noes=len(said_no), n=len(said_no) + len(accepted)
                    ),
                    supporting=said_no,
                    contradicting=accepted,
                    strong=len(said_no) + len(accepted) >= MIN_KIND_OUTCOMES
                    and len(said_no) > len(accepted),
                )
            )
    return deltas


def _delta(
    history: Sequence[Outcome],
    *,
    key: str,
    text: str,
    supporting: Iterable[int],
    contradicting: Iterable[int],
    strong: bool,
) -> LessonDelta:
    pro, con = sorted(supporting), sorted(contradicting)
    return LessonDelta(
        key=key,
        text=text,
        tags=(key,),
        supporting=tuple(history[i].proposal_id for i in pro),
        contradicting=tuple(history[i].proposal_id for i in con),
        newest=max((history[i].at for i in (*pro, *con)), default=None),
        strong=strong,
    )


def _times(count: int) -> str:
    return {1: "once", 2: "twice"}.get(count, f"{count} times")


def _tally(reasons: Sequence[str]) -> list[tuple[str, int]]:
    counts: dict[str, int] = {}
    for reason in reasons:
        counts[reason] = counts.get(reason, 0) + 1
    return sorted(counts.items(), key=lambda item: (-item[1], item[0]))


# -- the Curator ----------------------------------------------------------------------------


def curate(
    playbook: Playbook, deltas: Iterable[LessonDelta], *, outcomes_seen: int | None = None
) -> Curation:
    """Merge `deltas` into `playbook` incrementally; lessons keep their ids, order and text.

    `outcomes_seen` is how many outcomes the Reflector has looked at in all (the staleness
    clock); None leaves the clock where the playbook has it.
    """
    clock = playbook.outcomes_seen if outcomes_seen is None else outcomes_seen
    if isinstance(clock, bool) or not isinstance(clock, int) or clock < playbook.outcomes_seen:
        raise ValueError(BAD_CLOCK.format(before=playbook.outcomes_seen, after=clock))
    deltas = list(deltas)
    changes: list[str] = []
    material = False
    lessons, merged = _merge_duplicates(list(playbook.lessons))
    changes += merged
    material |= bool(merged)
    next_number = max((lesson.number for lesson in playbook.lessons), default=0) + 1
    for delta in deltas:
        index = _match(lessons, key=delta.key, text=delta.text)
        if index is not None:
            before = lessons[index]
            after = _counted(before, delta, clock=clock)
            lessons[index] = after
            crossed = _crossings(before, after)
            changes += crossed
            material |= bool(crossed)
            continue
        fresh = playbook.through is None or (
            delta.newest is not None and delta.newest > playbook.through
        )
        if delta.strong and fresh:
            lesson = Lesson(
                id=f"L{next_number}",
                text=delta.text,
                helpful=len(set(delta.supporting)),
                harmful=len(set(delta.contradicting)),
                evidence=_unique((*delta.supporting, *delta.contradicting)),
                tags=delta.tags,
                supported_at=clock,
            )
            next_number += 1
            lessons.append(lesson)
            changes.append(ADDED.format(id=lesson.id, text=lesson.text))
            material = True
    kept = []
    for lesson in lessons:
        removal = _why_prune(lesson, clock=clock)
        if removal is None:
            kept.append(lesson)
        else:
            changes.append(removal)
            material = True
    newest = [d.newest for d in deltas if d.newest is not None]
    through = max([*newest, *([playbook.through] if playbook.through else [])], default=None)
    return Curation(
        Playbook(tuple(kept), outcomes_seen=clock, through=through),
        material_change=material,
        changes=tuple(changes),
    )


def _merge_duplicates(lessons: list[Lesson]) -> tuple[list[Lesson], list[str]]:
    """Fold each lesson into an earlier near-duplicate (a person may add one the bot has)."""
    kept: list[Lesson] = []
    changes = []
    for lesson in lessons:
        index = _match(kept, key=lesson.key, text=lesson.text)
        if index is None:
            kept.append(lesson)
            continue
        into = kept[index]
        # Both may have counted the same outcomes: take the larger count, never the sum.
        kept[index] = dataclasses.replace(
            into,
            helpful=max(into.helpful, lesson.helpful),
            harmful=max(into.harmful, lesson.harmful),
            evidence=_unique((*into.evidence, *lesson.evidence)),
            tags=_unique((*into.tags, *lesson.tags)),
            supported_at=max(into.supported_at, lesson.supported_at),
        )
        changes.append(MERGED_DUPLICATE.format(id=lesson.id, into=into.id, text=lesson.text))
    return kept, changes


def _match(lessons: Sequence[Lesson], *, key: str | None, text: str) -> int | None:
    """The lesson with the same key; else, when keys do not tell them apart, a near-duplicate."""
    if key is not None:
        for index, lesson in enumerate(lessons):
            if lesson.key == key:
                return index
    wanted = _normalised_text(text)
    best, best_ratio = None, SIMILAR_TEXT
    for index, lesson in enumerate(lessons):
        if key is not None and lesson.key is not None:
            continue  # two keys that differ are two lessons, however alike their words
        ratio = difflib.SequenceMatcher(None, wanted, _normalised_text(lesson.text)).ratio()
        if ratio >= best_ratio:
            best, best_ratio = index, ratio
    return best


def _normalised_text(text: str) -> str:
    return " ".join(NORMALISE.sub(" ", text.lower()).split())


def _counted(lesson: Lesson, delta: LessonDelta, *, clock: int) -> Lesson:
    """`lesson` with the outcomes of `delta` it has not counted yet."""
    seen = set(lesson.evidence)
    pro = [i for i in _unique(delta.supporting) if i not in seen]
    con = [i for i in _unique(delta.contradicting) if i not in seen and i not in pro]
    return dataclasses.replace(
        lesson,
        helpful=lesson.helpful + len(pro),
        harmful=lesson.harmful + len(con),
        evidence=(*lesson.evidence, *pro, *con),
        # A lesson a person wrote, matched by its words, takes the key: from now on it is measured.
        tags=lesson.tags or delta.tags,
        supported_at=clock if pro else lesson.supported_at,
    )


def _crossings(before: Lesson, after: Lesson) -> list[str]:
    crossed = []
    if any(before.helpful < m <= after.helpful for m in HELPFUL_MILESTONES):
        crossed.append(CROSSED_HELPFUL.format(id=after.id, helpful=after.helpful, text=after.text))
    if before.harmful < before.helpful and after.harmful >= after.helpful > 0:
        crossed.append(
            CROSSED_CONTESTED.format(
                id=after.id, harmful=after.harmful, helpful=after.helpful, text=after.text
            )
        )
    return crossed


def _why_prune(lesson: Lesson, *, clock: int) -> str | None:
    if lesson.harmful >= PRUNE_MIN_HARMFUL and lesson.harmful >= PRUNE_RATIO * lesson.helpful:
        return REMOVED_HARMFUL.format(
            id=lesson.id, harmful=lesson.harmful, helpful=lesson.helpful, text=lesson.text
        )
    # Only a measured lesson can go stale; one a person wrote stays until a person removes it.
    if lesson.tags and clock - lesson.supported_at >= STALE_AFTER:
        return REMOVED_STALE.format(
            id=lesson.id, outcomes=clock - lesson.supported_at, text=lesson.text
        )
    return None


def _unique(values: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(values))


# -- the file -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Meta:
    """The counters comment under a lesson, as read."""

    helpful: int
    harmful: int
    supported_at: int
    tags: tuple[str, ...]
    evidence: tuple[str, ...]


@dataclass(slots=True)
class _Draft:
    """A lesson being read: its line may be followed by wrapped text and its counters."""

    id: str | None
    text: str
    line: int
    meta: _Meta | None = None


def render(playbook: Playbook) -> str:
    """The playbook as `.github/evolve/playbook.md`; `parse(render(p)) == p`."""
    through = playbook.through.isoformat() if playbook.through else NEVER
    lines = [
        TITLE,
        "",
        PREAMBLE,
        "",
        HEADER_COMMENT.format(outcomes=playbook.outcomes_seen, through=through),
        "",
        LESSONS_HEADING,
        "",
    ]
    for lesson in playbook.lessons:
        lines.append(f"- [{lesson.id}] {lesson.text}")
        meta = META_COMMENT.format(
            helpful=lesson.helpful,
            harmful=lesson.harmful,
            supported=lesson.supported_at,
            tags=", ".join(_quoted(t) for t in lesson.tags),
            evidence=", ".join(_quoted(e) for e in lesson.evidence),
        )
        lines.append(f"  {meta}")
    return "\n".join(lines) + "\n"


def parse(text: str) -> Playbook:
    """Read `.github/evolve/playbook.md` as a person left it; raises PlaybookError naming the line."""
    if len(text) > MAX_PLAYBOOK_CHARS:
        raise PlaybookError(1, TOO_LONG.format(length=len(text), limit=MAX_PLAYBOOK_CHARS))
    lines = text.splitlines()
    if not text.strip():
        return Playbook()
    heading_at = None
    outcomes, through = 0, None
    for number, line in enumerate(lines, start=1):
        heading = HEADING_LINE.match(line)
        if (
            heading
            and heading["title"].strip().lower() == "lessons"
            and line.lstrip().startswith("## ")
        ):
            heading_at = number
            break
        comment = COMMENT_LINE.match(line)
        if comment and (header := HEADER_BODY.match(comment["body"])):
            outcomes, through = _header_fields(header["fields"], line=number)
    if heading_at is None:
        raise PlaybookError(1, NO_LESSONS_HEADING)

    drafts: list[_Draft] = []
    first_line: dict[str, int] = {}
    for number, line in enumerate(lines[heading_at:], start=heading_at + 1):
        stripped = line.strip()
        if not stripped:
            continue
        indented = line.startswith((" ", "\t"))
        heading = HEADING_LINE.match(line)
        if heading and not indented:
            if heading["title"].strip().lower() == "lessons":
                raise PlaybookError(number, SECOND_LESSONS_HEADING.format(first=heading_at))
            raise PlaybookError(number, OTHER_HEADING.format(heading=stripped))
        bullet = LESSON_LINE.match(line)
        if (bullet or stripped in ("-", "*")) and not indented:
            if bullet is None or not bullet["text"]:
                raise PlaybookError(number, EMPTY_LESSON)
            lesson_id = bullet["id"]
            if lesson_id is not None:
                if lesson_id in first_line:
                    raise PlaybookError(
                        number, DUPLICATE_ID.format(id=lesson_id, first=first_line[lesson_id])
                    )
                first_line[lesson_id] = number
            drafts.append(_Draft(lesson_id, bullet["text"], number))
            continue
        if stripped.startswith("<!--"):
            comment = COMMENT_LINE.match(line)
            if comment is None:
                raise PlaybookError(number, UNCLOSED_COMMENT)
            if not drafts:
                raise PlaybookError(number, ORPHAN_COMMENT)
            draft = drafts[-1]
            shown = draft.id or f"on line {draft.line}"
            if draft.meta is not None:
                raise PlaybookError(number, SECOND_COMMENT.format(id=shown))
            draft.meta = _meta_fields(comment["body"], line=number, lesson=shown)
            continue
        if indented and drafts and drafts[-1].meta is None:
            # A person wrapped a long lesson onto the next line.
            drafts[-1].text = f"{drafts[-1].text} {stripped}"
            continue
        raise PlaybookError(number, NOT_A_LESSON.format(text=stripped))

    next_number = max((int(d.id[1:]) for d in drafts if d.id), default=0) + 1
    lessons = []
    for draft in drafts:
        lesson_id = draft.id
        if lesson_id is None:
            lesson_id = f"L{next_number}"
            next_number += 1
        # A lesson a person added has no counters yet; it starts fresh on today's clock.
        meta = draft.meta or _Meta(0, 0, outcomes, (), ())
        lessons.append(
            Lesson(
                id=lesson_id,
                text=draft.text,
                helpful=meta.helpful,
                harmful=meta.harmful,
                supported_at=meta.supported_at,
                tags=meta.tags,
                evidence=meta.evidence,
            )
        )
    return Playbook(tuple(lessons), outcomes_seen=outcomes, through=through)


def _fields(body: str, *, known: Sequence[str], line: int, where: str) -> dict[str, str]:
    """'name: value; name: value' as a dict, every known name present exactly once."""
    values: dict[str, str] = {}
    for part in body.split(";"):
        part = part.strip()
        name, colon, value = part.partition(":")
        if not colon:
            raise PlaybookError(line, where.format(problem=FIELD_FORMAT.format(part=part)))
        name, value = name.strip(), value.strip()
        if name not in known:
            problem = UNKNOWN_FIELD.format(name=name, known=", ".join(known))
            raise PlaybookError(line, where.format(problem=problem))
        if name in values:
            raise PlaybookError(line, where.format(problem=DUPLICATE_FIELD.format(name=name)))
        values[name] = value
    for name in known:
        if name not in values:
            raise PlaybookError(line, where.format(problem=MISSING_FIELD.format(name=name)))
    return values


def _header_fields(body: str, *, line: int) -> tuple[int, dt.datetime | None]:
    where = BAD_HEADER
    values = _fields(body, known=HEADER_FIELDS, line=line, where=where)
    outcomes = _count("outcomes", values["outcomes"], line=line, where=where)
    raw = values["through"]
    if raw == NEVER:
        return outcomes, None
    try:
        through = dt.datetime.fromisoformat(raw)
    except ValueError:
        through = None
    if through is None or through.tzinfo is None:
        problem = NOT_A_TIME.format(name="through", value=raw)
        raise PlaybookError(line, where.format(problem=problem))
    return outcomes, through


def _meta_fields(body: str, *, line: int, lesson: str) -> _Meta:
    where = BAD_META.replace("{id}", lesson)
    values = _fields(body, known=META_FIELDS, line=line, where=where)
    return _Meta(
        helpful=_count("helpful", values["helpful"], line=line, where=where),
        harmful=_count("harmful", values["harmful"], line=line, where=where),
        supported_at=_count("supported", values["supported"], line=line, where=where),
        tags=_items(values["tags"]),
        evidence=_items(values["evidence"]),
    )


def _count(name: str, raw: str, *, line: int, where: str) -> int:
    if not re.fullmatch(r"[0-9]+", raw):
        raise PlaybookError(line, where.format(problem=NOT_A_COUNT.format(name=name, value=raw)))
    return int(raw)


def _items(raw: str) -> tuple[str, ...]:
    return tuple(unquote(item.strip()) for item in raw.split(",") if item.strip())


def _quoted(item: str) -> str:
    # Tags hold paths, which may contain what the comment uses as separators (or its end, "-->").
    return quote(item, safe="/:._-~@+=()[]{}!$*'&")


# -- using it -------------------------------------------------------------------------------


def gate_hints(playbook: Playbook, *, kind: str, paths: Sequence[str]) -> list[Adjustment]:
    """What the playbook asks of the gate for a proposal of `kind` touching `paths`.

    Lessons about files and folders are the ones the kind's confidence does not already hold
    (it is learned from the same outcomes as the kind- and rule-wide lessons). A lesson borne out
    at least `MIN_SUPPORT` times and at least twice as often as contradicted makes the gate ask
    first; a weaker one lowers the confidence by its net support, (helpful - harmful) /
    (helpful + harmful + 2). A lesson a person wrote that names a touched path in backticks
    makes the gate ask: a person said so.
    """
    touched = [p for p in (normalised(p) for p in paths) if p]
    hints = []
    for lesson in playbook.lessons:
        kinds = [t[len(KIND_FILTER) :] for t in lesson.tags if t.startswith(KIND_FILTER)]
        if kinds and kind not in kinds:
            continue
        key = lesson.key or ""
        if key.startswith(("reject-dir:", "reject-path:")):
            scope = key.partition(":")[2]
            hit = any(p.startswith(scope) if scope.endswith("/") else p == scope for p in touched)
            if not hit or lesson.helpful <= lesson.harmful:
                continue
            counts = {
                "id": lesson.id,
                "text": lesson.text,
                "helpful": lesson.helpful,
                "harmful": lesson.harmful,
            }
            if lesson.helpful >= MIN_SUPPORT and lesson.helpful >= 2 * lesson.harmful:
                hints.append(Adjustment(HINT_ASK.format(**counts), lesson.id, force_ask=True))
            else:
                delta = -(lesson.helpful - lesson.harmful) / (lesson.helpful + lesson.harmful + 2)
                hints.append(
                    Adjustment(
                        HINT_LOWER.format(**counts, delta=delta), lesson.id, confidence_delta=delta
                    )
                )
        elif lesson.key is None and any(
            _names(written, p) for written in _paths_in(lesson.text) for p in touched
        ):
            hints.append(
                Adjustment(
                    HINT_PERSON.format(id=lesson.id, text=lesson.text), lesson.id, force_ask=True
                )
            )
    return hints


def _paths_in(text: str) -> list[str]:
    return [normalised(m["path"]) for m in PATH_IN_TEXT.finditer(text)]


def _names(written: str, path: str) -> bool:
    """Does a path a person wrote (a file, a folder ending in '/', or a glob) cover `path`?"""
    if not written:
        return False
    if written.endswith("/"):
        return path.startswith(written)
    if any(c in written for c in "*?["):
        return fnmatch.fnmatchcase(path, written)
    return path == written


def prompt_section(playbook: Playbook) -> str:
    """The lessons for a model's prompt, best supported first; "" when there is nothing to say.

    Lessons contradicted as often as borne out are left out: they are on their way to pruning.
    """
    usable = [
        lesson
        for lesson in playbook.lessons
        if lesson.helpful > lesson.harmful or (lesson.helpful == lesson.harmful == 0)
    ]
    if not usable:
        return ""
    ranked = sorted(usable, key=lambda lesson: -(lesson.helpful - lesson.harmful))[
        :MAX_PROMPT_LESSONS
    ]
    items = [
        PROMPT_ITEM.format(
            text=lesson.text,
            counts=PROMPT_COUNTS.format(helpful=lesson.helpful, harmful=lesson.harmful)
            if lesson.helpful or lesson.harmful
            else "",
        )
        for lesson in ranked
    ]
    return "\n".join([PROMPT_HEADING, PROMPT_INTRO, "", *items]) + "\n"
