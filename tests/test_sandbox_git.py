"""Real git underneath: trees with nested changes, diffs, three-way merges and rebases."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from bot.sandbox.git import GitError, GitRepository, Identity, TreeChange

WHO = Identity("Ada", "ada@example.com", 1_700_000_000)


async def commit(git: GitRepository, parent: str | None, changes: list[TreeChange], message: str = "m") -> str:
    base = (await git.read_commit(parent)).tree if parent else None
    tree = await git.build_tree(changes, base_tree=base)
    return await git.write_commit(tree=tree, parents=[parent] if parent else [], message=message, author=WHO)


async def test_objects_are_real_git_objects(tmp_path: Path) -> None:
    git = await GitRepository.init(tmp_path / "r.git", default_branch="trunk")
    first = await commit(git, None, [TreeChange("a/b/c.txt", content=b"c\n"), TreeChange("top.txt", content=b"t\n")], "first")
    second = await commit(git, first, [TreeChange("a"), TreeChange("new.txt", content=b"n\n")], "second")
    await git.set_ref("refs/heads/trunk", second)
    out = subprocess.run(["git", f"--git-dir={git.path}", "log", "--format=%s %an", "trunk"], capture_output=True, text=True, check=True).stdout
    assert out.splitlines() == ["second Ada", "first Ada"]
    assert subprocess.run(["git", f"--git-dir={git.path}", "fsck", "--strict"], capture_output=True).returncode == 0
    assert [e.path for e in await git.list_tree(second, recursive=True)] == ["new.txt", "top.txt"]
    assert await git.read_file(second, "new.txt") == b"n\n"
    assert await git.read_file(second, "a/b/c.txt") is None
    parsed = await git.read_commit(second)
    assert parsed.parents == (first,) and parsed.message == "second" and parsed.author == WHO
    assert await git.default_branch() == "trunk"
    assert await git.resolve("trunk") == second and await git.resolve("nope") is None


async def test_diff_reports_status_counts_and_patches(tmp_path: Path) -> None:
    git = await GitRepository.init(tmp_path / "r.git")
    body = "".join(f"line {n}\n" for n in range(20)).encode()
    base = await commit(git, None, [TreeChange("keep.txt", content=b"1\n2\n"), TreeChange("old.txt", content=body), TreeChange("gone.txt", content=b"g\n")])
    head = await commit(git, base, [TreeChange("keep.txt", content=b"1\ntwo\n"), TreeChange("old.txt"), TreeChange("moved.txt", content=body), TreeChange("gone.txt")])
    files = {f.filename: f for f in await git.diff(base, head)}
    assert files["keep.txt"].status == "modified" and (files["keep.txt"].additions, files["keep.txt"].deletions) == (1, 1)
    assert files["keep.txt"].patch == "@@ -1,2 +1,2 @@\n 1\n-2\n+two"
    assert files["moved.txt"].status == "renamed" and files["moved.txt"].previous_filename == "old.txt"
    assert files["gone.txt"].status == "removed" and files["gone.txt"].sha is None


async def test_merge_trees_and_rebase(tmp_path: Path) -> None:
    git = await GitRepository.init(tmp_path / "r.git")
    base = await commit(git, None, [TreeChange("f.txt", content=b"base\n")])
    ours = await commit(git, base, [TreeChange("f.txt", content=b"ours\n")])
    theirs = await commit(git, base, [TreeChange("f.txt", content=b"theirs\n")])
    side = await commit(git, base, [TreeChange("g.txt", content=b"g\n")], "side")
    conflict = await git.merge_trees(ours, theirs)
    assert not conflict.clean and conflict.conflicts == ["f.txt"]
    clean = await git.merge_trees(ours, side)
    assert clean.clean and clean.tree
    rebased = await git.cherry_pick_onto(ours, [side], committer=WHO)
    assert rebased and await git.read_file(rebased, "f.txt") == b"ours\n" and await git.read_file(rebased, "g.txt") == b"g\n"
    assert await git.cherry_pick_onto(ours, [theirs], committer=WHO) is None
    assert await git.ahead_behind(ours, side) == (1, 1)


async def test_failures_say_what_git_said(tmp_path: Path) -> None:
    git = await GitRepository.init(tmp_path / "r.git")
    with pytest.raises(GitError, match="exited 128"):
        await git.read_commit("0" * 40)
