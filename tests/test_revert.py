"""RevertPlan's pure core: three versions of each file in, reverted contents or conflicts out."""

from __future__ import annotations

import pytest

from bot.github import FileChange
from bot.revert import (
    ADDED_THEN_CHANGED,
    BINARY_CHANGED,
    DELETED_SINCE,
    DELETED_THEN_RECREATED,
    LINES_CHANGED,
    FileVersions,
    LineRange,
    RevertConflictError,
    plan_revert,
    revert_pull_request,
)
from tests.helpers.github_world import GitHubWorld


def lines(*items: str) -> bytes:
    return "".join(f"{item}\n" for item in items).encode()


BEFORE = lines("a", "b", "c", "d", "e", "f", "g", "h")
# The PR changed line 2 and line 7.
MERGED = lines("a", "B", "c", "d", "e", "f", "G", "h")


def test_untouched_file_goes_back_to_its_pre_merge_content() -> None:
    plan = plan_revert([FileVersions("x.txt", before=BEFORE, merged=MERGED, current=MERGED)])
    assert plan.clean
    assert plan.changes == {"x.txt": BEFORE}


def test_later_edits_elsewhere_in_the_file_survive_the_revert() -> None:
    # After the merge someone appended a line and changed line 4: not the PR's lines.
    current = lines("a", "B", "c", "D", "e", "f", "G", "h", "i")
    plan = plan_revert([FileVersions("x.txt", before=BEFORE, merged=MERGED, current=current)])
    assert plan.clean, plan.report()
    assert plan.changes["x.txt"] == lines("a", "b", "c", "D", "e", "f", "g", "h", "i")


def test_later_edit_on_the_prs_own_lines_is_a_conflict_naming_the_lines() -> None:
    # Line 7 (the PR's "G") was changed again after the merge, and line 2 was left alone.
    current = lines("a", "B", "c", "d", "e", "f", "G2", "h")
    plan = plan_revert([FileVersions("src/x.py", before=BEFORE, merged=MERGED, current=current)])
    assert not plan.clean
    assert plan.changes == {}
    [conflict] = plan.conflicts
    assert conflict.path == "src/x.py"
    assert conflict.reason == LINES_CHANGED
    assert conflict.lines == (LineRange(7, 7),)
    assert plan.report() == f"- `src/x.py` (line 7): {LINES_CHANGED}"


def test_conflicting_multi_line_region_reports_its_range_in_the_current_file() -> None:
    before = lines("x", "one", "two", "three", "y")
    merged = lines("x", "ONE", "TWO", "three", "y")
    # Two lines inserted at the top since, then the PR's two lines rewritten again.
    current = lines("new1", "new2", "x", "uno", "dos", "three", "y")
    plan = plan_revert([FileVersions("m.txt", before=before, merged=merged, current=current)])
    [conflict] = plan.conflicts
    assert conflict.lines == (LineRange(4, 5),)
    assert str(conflict.lines[0]) == "lines 4-5"


def test_file_added_by_the_pr_is_deleted() -> None:
    plan = plan_revert([FileVersions("new.txt", before=None, merged=b"hi\n", current=b"hi\n")])
    assert plan.changes == {"new.txt": None}


def test_file_deleted_by_the_pr_is_restored() -> None:
    plan = plan_revert([FileVersions("old.txt", before=b"keep\n", merged=None, current=None)])
    assert plan.changes == {"old.txt": b"keep\n"}


def test_whole_file_conflicts_name_the_file_and_why() -> None:
    plan = plan_revert(
        [
            FileVersions("added.txt", before=None, merged=b"v1\n", current=b"v2\n"),
            FileVersions("gone.txt", before=b"v0\n", merged=None, current=b"again\n"),
            FileVersions("moved.txt", before=b"v0\n", merged=b"v1\n", current=None),
        ]
    )
    reasons = {c.path: (c.reason, c.lines) for c in plan.conflicts}
    assert reasons == {
        "added.txt": (ADDED_THEN_CHANGED, ()),
        "gone.txt": (DELETED_THEN_RECREATED, ()),
        "moved.txt": (DELETED_SINCE, ()),
    }


def test_binary_file_reverts_when_untouched_and_conflicts_when_changed() -> None:
    before, merged = b"\x89PNG\0old", b"\x89PNG\0new"
    clean = plan_revert([FileVersions("logo.png", before=before, merged=merged, current=merged)])
    assert clean.changes == {"logo.png": before}
    changed = plan_revert(
        [FileVersions("logo.png", before=before, merged=merged, current=b"\x89PNG\0newer")]
    )
    assert [(c.path, c.reason) for c in changed.conflicts] == [("logo.png", BINARY_CHANGED)]


def test_already_reverted_files_need_no_change() -> None:
    plan = plan_revert([FileVersions("x.txt", before=BEFORE, merged=MERGED, current=BEFORE)])
    assert plan.clean
    assert plan.changes == {}
    assert plan.already_reverted == ("x.txt",)


def test_one_conflict_blocks_nothing_else_from_being_reported() -> None:
    current = lines("a", "B", "c", "d", "e", "f", "G2", "h")
    plan = plan_revert(
        [
            FileVersions("ok.txt", before=BEFORE, merged=MERGED, current=MERGED),
            FileVersions("bad.txt", before=BEFORE, merged=MERGED, current=current),
        ]
    )
    assert [c.path for c in plan.conflicts] == ["bad.txt"]
    # The clean file's plan is still computed, so a caller can show both.
    assert plan.changes == {"ok.txt": BEFORE}


def test_crlf_and_missing_final_newline_are_kept() -> None:
    before = b"one\r\ntwo\r\nthree"
    merged = b"one\r\nTWO\r\nthree"
    current = b"zero\r\none\r\nTWO\r\nthree"
    plan = plan_revert([FileVersions("w.txt", before=before, merged=merged, current=current)])
    assert plan.changes == {"w.txt": b"zero\r\none\r\ntwo\r\nthree"}


# --- the client part, against the sandbox ---------------------------------------------------

APP_PY_AFTER = b"def main():\n    return 2\n"


async def merged_two_commit_pr(github: GitHubWorld, *, method: str) -> int:
    """A PR of two commits (edit src/app.py; add gen.txt, drop docs/guide.md) merged by `method`."""
    await github.repo.create_branch(
        "evolve/change",
        base="main",
        changes=[FileChange("src/app.py", APP_PY_AFTER)],
        message="Return 2",
    )
    await github.repo.commit_to_branch(
        "evolve/change",
        changes=[FileChange("gen.txt", "generated\n"), FileChange.delete("docs/guide.md")],
        message="Generate",
    )
    pull = await github.repo.open_pull_request(head="evolve/change", base="main", title="Return 2")
    result = await github.repo.merge_pull_request(pull.number, method=method)  # type: ignore[arg-type]
    assert result.merged, result.message
    return pull.number


@pytest.mark.parametrize("method", ["merge", "squash", "rebase"])
async def test_revert_undoes_a_merged_pr_and_keeps_later_work(github: GitHubWorld, method: str) -> None:
    number = await merged_two_commit_pr(github, method=method)
    before_pr = (await github.repo.get_pull_request(number)).merge_commit_sha
    # Later work on main: an unrelated file, and the PR's file above the PR's line.
    await github.sandbox.push(
        "alice/demo",
        as_="alice",
        branch="main",
        files={"README.md": "# demo, later\n", "src/app.py": b"# header\n" + APP_PY_AFTER},
        message="Later work",
    )
    outcome = await revert_pull_request(github.repo, number)
    assert outcome.merge_sha == before_pr
    assert outcome.branch is not None and outcome.branch.branch == f"evolve/revert-{number}"
    branch = outcome.branch.branch
    assert await github.file(branch, "src/app.py") == b"# header\ndef main():\n    return 1\n"
    assert await github.file(branch, "gen.txt") is None
    assert await github.file(branch, "docs/guide.md") == b"guide\n"
    assert await github.file(branch, "README.md") == b"# demo, later\n"
    assert outcome.branch.parent_sha == await github.repo.branch_head("main")


async def test_revert_conflict_names_files_and_lines_and_writes_nothing(github: GitHubWorld) -> None:
    number = await merged_two_commit_pr(github, method="squash")
    await github.sandbox.push(
        "alice/demo",
        as_="alice",
        branch="main",
        files={"src/app.py": "def main():\n    return 3\n"},
        message="3",
    )
    refs_before = await github.sandbox.repo("alice/demo").git.refs()
    with pytest.raises(RevertConflictError) as caught:
        await revert_pull_request(github.repo, number)
    assert str(caught.value) == (
        f"cannot revert #{number} cleanly:\n- `src/app.py` (line 2): {LINES_CHANGED}"
    )
    assert caught.value.plan.changes.keys() == {"gen.txt", "docs/guide.md"}
    assert await github.sandbox.repo("alice/demo").git.refs() == refs_before


async def test_reverting_an_unmerged_pr_is_refused(github: GitHubWorld) -> None:
    await github.repo.create_branch(
        "evolve/open", base="main", changes=[FileChange("a.txt", "a\n")], message="a"
    )
    pull = await github.repo.open_pull_request(head="evolve/open", base="main", title="open")
    with pytest.raises(ValueError, match=f"pull request #{pull.number} is not merged"):
        await revert_pull_request(github.repo, pull.number)


async def test_reverting_twice_finds_nothing_left_to_undo(github: GitHubWorld) -> None:
    number = await merged_two_commit_pr(github, method="merge")
    outcome = await revert_pull_request(github.repo, number)
    assert outcome.branch is not None
    revert_pull = await github.repo.open_pull_request(
        head=outcome.branch.branch, base="main", title="Revert"
    )
    assert (await github.repo.merge_pull_request(revert_pull.number)).merged
    again = await revert_pull_request(github.repo, number, branch="evolve/revert-again")
    assert again.branch is None
    assert set(again.plan.already_reverted) == {"src/app.py", "gen.txt", "docs/guide.md"}
