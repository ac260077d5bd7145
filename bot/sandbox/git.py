"""Real bare git repositories on disk, driven through the `git` command line asynchronously."""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

ZERO_SHA = "0" * 40
EMPTY_TREE_SHA = "4b825dc642cb6eb9a060e54bf8d69288fbee4904"

FILE_MODE = "100644"
EXECUTABLE_MODE = "100755"
SYMLINK_MODE = "120000"
TREE_MODE = "040000"
SUBMODULE_MODE = "160000"

# A git identity line inside a commit object: "Name <email> 1700000000 +0100".
IDENTITY = re.compile(
    r"""
    ^(?P<name>.*?)\s<(?P<email>[^>]*)>   # display name, then the address in angle brackets
    \s(?P<epoch>\d+)                     # seconds since the epoch
    \s(?P<tz>[+-]\d{4})$                 # the author's UTC offset
    """,
    re.VERBOSE,
)
# One line of `git diff --numstat -z` when it is not a rename: "added<TAB>deleted<TAB>path".
NUMSTAT = re.compile(r"^(?P<added>\d+|-)\t(?P<deleted>\d+|-)\t(?P<path>.*)$", re.DOTALL)
HUNK_START = re.compile(r"^@@ ", re.MULTILINE)


class GitError(Exception):
    """A git command failed; the message carries its stderr."""

    def __init__(self, args: Sequence[str], code: int, stderr: str) -> None:
        super().__init__(f"git {' '.join(args)} exited {code}: {stderr.strip()}")
        self.code = code
        self.stderr = stderr


@dataclass(frozen=True)
class Identity:
    """Who wrote or committed a commit, and when (epoch seconds, "+0000" offset)."""

    name: str
    email: str
    epoch: int
    tz: str = "+0000"

    def line(self) -> str:
        return f"{self.name} <{self.email}> {self.epoch} {self.tz}"


@dataclass(frozen=True)
class CommitObject:
    """A parsed commit object."""

    sha: str
    tree: str
    parents: tuple[str, ...]
    author: Identity
    committer: Identity
    message: str


@dataclass(frozen=True)
class TreeEntry:
    """One entry of a tree listing; size is None for trees and submodules."""

    mode: str
    type: str
    sha: str
    path: str
    size: int | None


@dataclass(frozen=True)
class TreeChange:
    """A change to apply on top of a base tree: new content, an existing object, or removal."""

    path: str
    mode: str = FILE_MODE
    sha: str | None = None  # None with content None means: delete the path

    content: bytes | None = None


@dataclass
class FileDiff:
    """One file of a diff between two commits, as GitHub's compare and pull files list it."""

    filename: str
    status: str  # added, removed, modified, renamed
    sha: str | None
    additions: int
    deletions: int
    patch: str | None
    previous_filename: str | None = None
    binary: bool = False
    old_sha: str | None = None

    @property
    def changes(self) -> int:
        return self.additions + self.deletions


@dataclass
class MergeOutcome:
    """A `git merge-tree` result: the merged tree, or the conflicting paths."""

    tree: str | None
    conflicts: list[str] = field(default_factory=list)

    @property
    def clean(self) -> bool:
        return self.tree is not None and not self.conflicts


def _clean_env(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    # Nobody's ~/.gitconfig (signing, hooks, templates) may change the objects we write.
    env.update(
        GIT_CONFIG_NOSYSTEM="1",
        GIT_CONFIG_GLOBAL=os.devnull,
        GIT_TERMINAL_PROMPT="0",
        LC_ALL="C",
    )
    if extra:
        env.update(extra)
    return env


class GitRepository:
    """A bare repository at `path`; every method runs real git and returns real object ids."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        # Worktree bookkeeping in a bare repo is not safe to change concurrently.
        self._worktree_lock = asyncio.Lock()

    async def git(
        self,
        *args: str,
        input: bytes | None = None,
        env: Mapping[str, str] | None = None,
        ok_codes: tuple[int, ...] = (0,),
        cwd: Path | None = None,
    ) -> bytes:
        """Run `git <args>` in this repository and return stdout; raise GitError on failure."""
        argv = ["git", f"--git-dir={self.path}", *args] if cwd is None else ["git", *args]
        proc = await asyncio.create_subprocess_exec(
            *argv,
            stdin=asyncio.subprocess.PIPE if input is not None else asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            env=_clean_env(env),
            cwd=cwd,
        )
        try:
            out, err = await proc.communicate(input)
        except asyncio.CancelledError:
            if proc.returncode is None:
                proc.kill()
                await proc.wait()
            raise
        assert proc.returncode is not None
        if proc.returncode not in ok_codes:
            raise GitError(args, proc.returncode, err.decode(errors="replace"))
        return out

    async def git_status(self, *args: str, cwd: Path | None = None) -> tuple[int, bytes]:
        """Run git where a non-zero exit is an answer (no, conflict), not a failure."""
        argv = ["git", f"--git-dir={self.path}", *args] if cwd is None else ["git", *args]
        proc = await asyncio.create_subprocess_exec(
            *argv, stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE, env=_clean_env(), cwd=cwd,
        )
        out, _ = await proc.communicate()
        return proc.returncode or 0, out

    @classmethod
    async def init(cls, path: Path, *, default_branch: str = "main") -> GitRepository:
        """Create an empty bare repository whose HEAD names `default_branch`."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        repo = cls(path)
        # An empty --template: no sample hooks, description or info/exclude, which nothing here
        # reads (a bare repository runs no sample hook); copying them was most of an init's time.
        proc = await asyncio.create_subprocess_exec(
            "git", "init", "--quiet", "--bare", "--template=", f"--initial-branch={default_branch}", str(path),
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE, env=_clean_env(),
        )
        _, err = await proc.communicate()
        if proc.returncode:
            raise GitError(["init", str(path)], proc.returncode or 1, err.decode(errors="replace"))
        return repo

    # -- objects -------------------------------------------------------------------------

    async def hash_blob(self, data: bytes) -> str:
        return (await self.git("hash-object", "-w", "-t", "blob", "--stdin", input=data)).decode().strip()

    async def object_type(self, sha: str) -> str | None:
        """The type of object `sha` ("blob", "tree", "commit", "tag"), or None when absent."""
        out = await self.git("cat-file", "-t", sha, ok_codes=(0, 1, 128))
        text = out.decode().strip()
        return text or None

    async def read_blob(self, sha: str) -> bytes:
        return await self.git("cat-file", "blob", sha)

    async def resolve(self, rev: str) -> str | None:
        """The commit id `rev` names (a sha, branch, tag or full ref), or None."""
        if not rev or rev.startswith("-"):
            return None
        out = await self.git("rev-parse", "--verify", "--quiet", f"{rev}^{{commit}}", ok_codes=(0, 1, 128))
        sha = out.decode().strip()
        return sha or None

    async def read_commit(self, sha: str) -> CommitObject:
        raw = (await self.git("cat-file", "commit", sha)).decode(errors="replace")
        header, _, message = raw.partition("\n\n")
        tree, parents, people = "", [], {}
        for line in header.splitlines():
            key, _, value = line.partition(" ")
            if key == "tree":
                tree = value
            elif key == "parent":
                parents.append(value)
            elif key in ("author", "committer"):
                match = IDENTITY.match(value)
                if match:
                    people[key] = Identity(match["name"], match["email"], int(match["epoch"]), match["tz"])
        full = (await self.git("rev-parse", sha)).decode().strip()
        return CommitObject(full, tree, tuple(parents), people["author"], people["committer"], message)

    async def write_commit(
        self,
        *,
        tree: str,
        parents: Sequence[str],
        message: str,
        author: Identity,
        committer: Identity | None = None,
    ) -> str:
        committer = committer or author
        args = ["commit-tree", tree]
        for parent in parents:
            args += ["-p", parent]
        env = {
            "GIT_AUTHOR_NAME": author.name,
            "GIT_AUTHOR_EMAIL": author.email,
            "GIT_AUTHOR_DATE": f"@{author.epoch} {author.tz}",
            "GIT_COMMITTER_NAME": committer.name,
            "GIT_COMMITTER_EMAIL": committer.email,
            "GIT_COMMITTER_DATE": f"@{committer.epoch} {committer.tz}",
        }
        # commit-tree with -F - keeps the message byte for byte (no stripping of comments).
        out = await self.git(*args, "-F", "-", input=message.encode(), env=env)
        return out.decode().strip()

    async def build_tree(self, changes: Sequence[TreeChange], *, base_tree: str | None = None) -> str:
        """Write a tree: `base_tree` (or empty) with `changes` applied, nested paths included."""
        with tempfile.TemporaryDirectory(prefix="sandbox-index-") as scratch:
            env = {"GIT_INDEX_FILE": str(Path(scratch) / "index")}
            if base_tree:
                await self.git("read-tree", base_tree, env=env)
            else:
                await self.git("read-tree", "--empty", env=env)
            lines = []
            for change in changes:
                path = change.path.strip("/")
                if change.content is not None:
                    sha = await self.hash_blob(change.content)
                    lines.append(f"{change.mode} {sha}\t{path}")
                elif change.sha is not None:
                    if change.mode == TREE_MODE:
                        # A whole subtree: drop what is there and read the tree under that prefix.
                        await self._remove_prefix(path, env)
                        await self.git("read-tree", f"--prefix={path}/", change.sha, env=env)
                        continue
                    lines.append(f"{change.mode} {change.sha}\t{path}")
                else:
                    await self._remove_prefix(path, env)
            if lines:
                await self.git("update-index", "--add", "--index-info", input=("\n".join(lines) + "\n").encode(), env=env)
            return (await self.git("write-tree", env=env)).decode().strip()

    async def _remove_prefix(self, path: str, env: Mapping[str, str]) -> None:
        listed = await self.git("ls-files", "-z", "--", path, env=env)
        names = [name for name in listed.decode().split("\0") if name]
        if names:
            # Mode 0 in --index-info removes the entry; --force-remove wants a work tree.
            removals = "".join(f"0 {ZERO_SHA}\t{name}\n" for name in names)
            await self.git("update-index", "--index-info", input=removals.encode(), env=env)

    async def list_tree(self, tree: str, *, recursive: bool = False, path: str = "") -> list[TreeEntry]:
        args = ["ls-tree", "-l", "-z"]
        if recursive:
            args += ["-r", "-t"]
        args.append(tree)
        if path:
            args += ["--", path]
        out = (await self.git(*args)).decode(errors="surrogateescape")
        entries = []
        for record in out.split("\0"):
            if not record:
                continue
            meta, _, name = record.partition("\t")
            mode, kind, sha, size = meta.split()
            entries.append(TreeEntry(mode, kind, sha, name, None if size == "-" else int(size)))
        return entries

    async def entry_at(self, commit: str, path: str) -> TreeEntry | None:
        """The tree entry at `path` in `commit` (a tree for the root), or None when missing."""
        path = path.strip("/")
        if not path:
            tree = (await self.read_commit(commit)).tree
            return TreeEntry(TREE_MODE, "tree", tree, "", None)
        found = await self.list_tree(commit, path=path)
        for entry in found:
            if entry.path == path:
                return entry
        return None

    async def read_file(self, commit: str, path: str) -> bytes | None:
        entry = await self.entry_at(commit, path)
        if entry is None or entry.type != "blob":
            return None
        return await self.read_blob(entry.sha)

    # -- refs ----------------------------------------------------------------------------

    async def refs(self, prefix: str = "refs/") -> dict[str, str]:
        out = (await self.git("for-each-ref", "--format=%(refname) %(objectname)", prefix)).decode()
        found = {}
        for line in out.splitlines():
            name, _, sha = line.partition(" ")
            found[name] = sha
        return found

    async def ref(self, name: str) -> str | None:
        return (await self.refs(name)).get(name)

    async def set_ref(self, name: str, sha: str, *, old: str | None = None) -> None:
        """Point `name` at `sha`; with `old`, only if it still points there (compare-and-swap)."""
        args = ["update-ref", name, sha]
        if old is not None:
            args.append(old)
        await self.git(*args)

    async def delete_ref(self, name: str) -> None:
        await self.git("update-ref", "-d", name)

    async def default_branch(self) -> str:
        out = (await self.git("symbolic-ref", "--short", "HEAD")).decode().strip()
        return out

    # -- history -------------------------------------------------------------------------

    async def is_ancestor(self, ancestor: str, descendant: str) -> bool:
        code, _ = await self.git_status("merge-base", "--is-ancestor", ancestor, descendant)
        return code == 0

    async def merge_base(self, a: str, b: str) -> str | None:
        code, out = await self.git_status("merge-base", a, b)
        return out.decode().strip() or None if code == 0 else None

    async def commits_between(self, base: str, head: str) -> list[str]:
        """Commits reachable from head but not base, oldest first (GitHub's PR commit order)."""
        out = (await self.git("rev-list", "--reverse", "--topo-order", f"{base}..{head}")).decode()
        return out.split()

    async def ahead_behind(self, base: str, head: str) -> tuple[int, int]:
        out = (await self.git("rev-list", "--left-right", "--count", f"{base}...{head}")).decode().split()
        behind, ahead = int(out[0]), int(out[1])
        return ahead, behind

    async def diff(self, base: str, head: str) -> list[FileDiff]:
        """Files changed from commit `base` to commit `head`, with GitHub-style patches."""
        raw = (await self.git("diff", "--raw", "-z", "-M", "--no-abbrev", base, head)).decode(errors="replace")
        numstat = (await self.git("diff", "--numstat", "-z", "-M", base, head)).decode(errors="replace")
        patch_text = (await self.git("diff", "-M", "--no-color", "--no-ext-diff", base, head)).decode(errors="replace")

        files: list[FileDiff] = []
        fields = raw.split("\0")
        i = 0
        while i < len(fields) - 1:
            meta = fields[i]
            if not meta.startswith(":"):
                i += 1
                continue
            _, _, old_sha, new_sha, status = meta[1:].split(" ")
            letter = status[0]
            if letter in "RC":
                old_path, new_path = fields[i + 1], fields[i + 2]
                i += 3
            else:
                old_path = new_path = fields[i + 1]
                i += 2
            kind = {"A": "added", "D": "removed", "M": "modified", "T": "changed", "R": "renamed", "C": "copied"}[letter]
            files.append(
                FileDiff(
                    filename=new_path,
                    status=kind,
                    sha=None if letter == "D" else new_sha,
                    old_sha=None if letter == "A" else old_sha,
                    additions=0,
                    deletions=0,
                    patch=None,
                    previous_filename=old_path if letter in "RC" else None,
                )
            )

        stats: list[tuple[int, int, bool]] = []
        parts = numstat.split("\0")
        j = 0
        while j < len(parts):
            part = parts[j]
            if not part:
                j += 1
                continue
            added, deleted, rest = part.split("\t", 2)
            binary = added == "-"
            stats.append((0 if binary else int(added), 0 if binary else int(deleted), binary))
            # A rename's record is "a<TAB>d<TAB>" followed by the two paths as separate fields.
            j += 3 if rest == "" else 1
        for file, (added, deleted, binary) in zip(files, stats, strict=False):
            file.additions, file.deletions, file.binary = added, deleted, binary

        sections = re.split(r"^diff --git ", patch_text, flags=re.MULTILINE)[1:]
        for file, section in zip(files, sections, strict=False):
            hunk = HUNK_START.search(section)
            if hunk and not file.binary:
                file.patch = section[hunk.start():].rstrip("\n")
        return files

    async def merge_trees(self, ours: str, theirs: str) -> MergeOutcome:
        """Three-way merge of two commits without touching any worktree (`git merge-tree`)."""
        code, out = await self.git_status("merge-tree", "--write-tree", "--name-only", "--no-messages", ours, theirs)
        if code not in (0, 1):
            raise GitError(["merge-tree", ours, theirs], code, out.decode(errors="replace"))
        lines = out.decode(errors="replace").splitlines()
        if code == 0:
            return MergeOutcome(tree=lines[0].strip())
        return MergeOutcome(tree=None, conflicts=[line for line in lines[1:] if line.strip()])

    async def cherry_pick_onto(self, onto: str, commits: Sequence[str], *, committer: Identity) -> str | None:
        """Replay `commits` on `onto` (a rebase merge); the new head, or None on conflict."""
        head = onto
        for sha in commits:
            commit = await self.read_commit(sha)
            async with self.worktree(head) as work:
                code, _ = await self.git_status("cherry-pick", "--no-commit", "--allow-empty", sha, cwd=work)
                if code != 0:
                    return None
                tree = (await self.git("write-tree", cwd=work)).decode().strip()
            head = await self.write_commit(
                tree=tree, parents=[head], message=commit.message, author=commit.author, committer=committer
            )
        return head

    # -- worktrees -----------------------------------------------------------------------

    def worktree(self, commit: str) -> _Worktree:
        """`async with repo.worktree(sha) as path:` a clean detached checkout, removed afterwards."""
        return _Worktree(self, commit)


class _Worktree:
    def __init__(self, repo: GitRepository, commit: str) -> None:
        self.repo = repo
        self.commit = commit
        self.path: Path | None = None

    async def __aenter__(self) -> Path:
        scratch = Path(tempfile.mkdtemp(prefix="sandbox-worktree-"))
        self.path = scratch / "checkout"
        async with self.repo._worktree_lock:
            await self.repo.git("worktree", "add", "--quiet", "--detach", str(self.path), self.commit)
        return self.path

    async def __aexit__(self, *exc: object) -> None:
        assert self.path is not None
        async with self.repo._worktree_lock:
            await self.repo.git("worktree", "remove", "--force", str(self.path), ok_codes=(0, 128))
            await self.repo.git("worktree", "prune", ok_codes=(0, 128))
        shutil.rmtree(self.path.parent, ignore_errors=True)
