"""RevertPlan: undo a merged pull request on today's default branch, or say where it conflicts.

The planning core (`plan_revert`) is pure: three versions of each file the PR touched go in
(before the merge, right after it, and now), new contents or conflicts come out. For each
file it does what `git revert` does: a 3-way merge with the merged version as the base,
today's version as ours and the pre-merge version as theirs, using `merge3`.
`revert_pull_request` is the I/O edge: it reads those versions through a RepoClient and
commits the plan to a new branch off the default branch.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, cast

from merge3 import Merge3

if TYPE_CHECKING:
    from bot.github import BranchCommit, RepoClient

REVERT_BRANCH = "evolve/revert-{number}"
REVERT_MESSAGE = 'Revert "{title}" (#{number})\n\nThis reverts the changes of #{number} ({sha}).'

ADDED_THEN_CHANGED = (
    "added by the pull request and changed since; reverting would delete the later changes"
)
DELETED_THEN_RECREATED = "deleted by the pull request and created again since"
DELETED_SINCE = "changed by the pull request and deleted since"
BINARY_CHANGED = "binary file changed since the merge; it cannot be merged line by line"
LINES_CHANGED = "lines the pull request changed were changed again since"
NOT_MERGED = "pull request #{number} is not merged; there is nothing to revert"
REVERT_CONFLICTS = "cannot revert #{number} cleanly:\n{report}"


@dataclass(frozen=True)
class FileVersions:
    """One path's content before the merge, right after it, and now (None: absent)."""

    path: str
    before: bytes | None
    merged: bytes | None
    current: bytes | None


@dataclass(frozen=True)
class LineRange:
    """Lines `start`..`end` (1-based, inclusive) of the file as it is now."""

    start: int
    end: int

    def __str__(self) -> str:
        return f"line {self.start}" if self.start == self.end else f"lines {self.start}-{self.end}"


@dataclass(frozen=True)
class RevertConflict:
    """A file the revert cannot apply alone; `lines` is empty when the whole file is at stake."""

    path: str
    reason: str
    lines: tuple[LineRange, ...] = ()

    def __str__(self) -> str:
        where = f" ({', '.join(str(r) for r in self.lines)})" if self.lines else ""
        return f"{self.path}{where}: {self.reason}"


@dataclass(frozen=True)
class RevertPlan:
    """What reverting changes (path -> new bytes, None deletes), or the conflicts that stop it."""

    changes: Mapping[str, bytes | None] = field(default_factory=dict)
    conflicts: tuple[RevertConflict, ...] = ()
    # Paths whose current content already equals the pre-merge content.
    already_reverted: tuple[str, ...] = ()

    @property
    def clean(self) -> bool:
        return not self.conflicts

    def report(self) -> str:
        """The conflicts as a Markdown list, one file per line."""
        return "\n".join(f"- `{c.path}`{_where(c)}: {c.reason}" for c in self.conflicts)


def _where(conflict: RevertConflict) -> str:
    return f" ({', '.join(str(r) for r in conflict.lines)})" if conflict.lines else ""


def _is_binary(*contents: bytes | None) -> bool:
    # git's own heuristic: a NUL byte means binary.
    return any(c is not None and b"\0" in c for c in contents)


def revert_file(versions: FileVersions) -> bytes | None | RevertConflict:
    """The file's content once the PR is undone (None: delete it), or why that needs a human."""
    before, merged, current = versions.before, versions.merged, versions.current
    if current == merged:
        return before  # untouched since the merge: restore exactly what was there
    if before is None:
        return RevertConflict(versions.path, ADDED_THEN_CHANGED)
    if merged is None:
        return RevertConflict(versions.path, DELETED_THEN_RECREATED)
    if current is None:
        return RevertConflict(versions.path, DELETED_SINCE)
    if _is_binary(before, merged, current):
        return RevertConflict(versions.path, BINARY_CHANGED)
    base_lines = merged.splitlines(keepends=True)
    ours = current.splitlines(keepends=True)
    theirs = before.splitlines(keepends=True)
    merge = Merge3(base_lines, ours, theirs)
    out: list[bytes] = []
    conflicts: list[LineRange] = []
    for region in merge.merge_regions():
        kind = region[0]
        if kind == "unchanged":
            out.extend(base_lines[region[1] : region[2]])
        elif kind in ("a", "same"):
            out.extend(ours[region[1] : region[2]])
        elif kind == "b":
            out.extend(theirs[region[1] : region[2]])
        else:  # "conflict": base[iz:zmatch], ours[ia:amatch], theirs[ib:bmatch]
            _, _iz, _zmatch, ia, amatch, _ib, _bmatch = cast(
                tuple[str, int, int, int, int, int, int], region
            )
            conflicts.append(LineRange(ia + 1, max(amatch, ia + 1)))
    if conflicts:
        return RevertConflict(versions.path, LINES_CHANGED, tuple(conflicts))
    return b"".join(out)


def plan_revert(files: Iterable[FileVersions]) -> RevertPlan:
    """Undo every file's merge-time change on its current content; pure, no I/O."""
    changes: dict[str, bytes | None] = {}
    conflicts: list[RevertConflict] = []
    already: list[str] = []
    for versions in sorted(files, key=lambda v: v.path):
        if versions.current == versions.before:
            already.append(versions.path)
            continue
        result = revert_file(versions)
        if isinstance(result, RevertConflict):
            conflicts.append(result)
        elif result == versions.current:
            already.append(versions.path)
        else:
            changes[versions.path] = result
    return RevertPlan(changes=changes, conflicts=tuple(conflicts), already_reverted=tuple(already))


class RevertConflictError(Exception):
    """The revert touches lines changed since the merge; `plan.conflicts` names files and lines."""

    def __init__(self, number: int, plan: RevertPlan) -> None:
        super().__init__(REVERT_CONFLICTS.format(number=number, report=plan.report()))
        self.number = number
        self.plan = plan


@dataclass(frozen=True)
class RevertOutcome:
    """The plan, and the branch holding its commit (None when the PR was already fully undone)."""

    plan: RevertPlan
    branch: BranchCommit | None
    pre_merge_sha: str
    merge_sha: str


async def revert_pull_request(
    repo: RepoClient, number: int, *, branch: str | None = None
) -> RevertOutcome:
    """Plan the revert of merged PR `number` against the default branch and commit it to `branch`.

    Raises RevertConflictError (naming files and line ranges) when later commits touched the
    same lines, and GitHubError for what GitHub refuses.
    """
    pull = await repo.get_pull_request(number)
    if not pull.merged or not pull.merge_commit_sha:
        raise ValueError(NOT_MERGED.format(number=number))
    merge_sha = pull.merge_commit_sha
    pre_merge_sha = await repo.pre_merge_sha(pull)
    default_branch = pull.base_ref
    current_sha = await repo.branch_head(default_branch)
    comparison = await repo.compare(pre_merge_sha, merge_sha)
    paths = sorted(
        {f.filename for f in comparison.files}
        | {f.previous_filename for f in comparison.files if f.previous_filename}
    )
    before, merged, current = await asyncio.gather(
        repo.read_files(paths, ref=pre_merge_sha),
        repo.read_files(paths, ref=merge_sha),
        repo.read_files(paths, ref=current_sha),
    )
    plan = plan_revert(
        FileVersions(
            path,
            before=_content(before[path]),
            merged=_content(merged[path]),
            current=_content(current[path]),
        )
        for path in paths
    )
    if not plan.clean:
        raise RevertConflictError(number, plan)
    if not plan.changes:
        return RevertOutcome(
            plan=plan, branch=None, pre_merge_sha=pre_merge_sha, merge_sha=merge_sha
        )
    from bot.github import FileChange  # the I/O edge; the planning core above imports nothing of it

    # Build on the exact commit we planned against, so a push in between cannot slip in unseen.
    commit = await repo.create_branch(
        branch or REVERT_BRANCH.format(number=number),
        base=current_sha,
        changes=[FileChange(path, content) for path, content in plan.changes.items()],
        message=REVERT_MESSAGE.format(title=pull.title, number=number, sha=merge_sha[:12]),
    )
    return RevertOutcome(plan=plan, branch=commit, pre_merge_sha=pre_merge_sha, merge_sha=merge_sha)


def _content(file: object) -> bytes | None:
    return None if file is None else file.content  # type: ignore[attr-defined]
