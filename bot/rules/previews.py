"""Unified diffs of a rewrite's changes, to preview it."""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping

DIFF_PREFIX_OLD = "a/"
DIFF_PREFIX_NEW = "b/"
NO_NEWLINE = "\\ No newline at end of file\n"


def _file_diffs(
    old_files: Mapping[str, str], new_files: Mapping[str, str | None]
) -> Iterable[tuple[str, str | None, str | None, list[str]]]:
    """(path, old, new, hunks) per changed path; `hunks` is difflib's output after its two header lines."""
    for path in sorted(new_files):
        old, new = old_files.get(path), new_files[path]
        if old == new:
            continue
        lines = list(
            difflib.unified_diff(
                (old or "").splitlines(keepends=True),
                (new or "").splitlines(keepends=True),
                fromfile=f"{DIFF_PREFIX_OLD}{path}" if old is not None else "/dev/null",
                tofile=f"{DIFF_PREFIX_NEW}{path}" if new is not None else "/dev/null",
            )
        )
        yield path, old, new, lines


def unified_diff(old_files: Mapping[str, str], new_files: Mapping[str, str | None]) -> str:
    """A git-style unified diff from `old_files` to `new_files`, which holds only what changes.

    A path in `new_files` but not `old_files` is a new file; a None value deletes the file;
    paths absent from `new_files` are unchanged. The output applies with `git apply`.
    """
    chunks = []
    for path, old, new, lines in _file_diffs(old_files, new_files):
        chunks.append(f"diff --git {DIFF_PREFIX_OLD}{path} {DIFF_PREFIX_NEW}{path}\n")
        if old is None:
            chunks.append("new file mode 100644\n")
        elif new is None:
            chunks.append("deleted file mode 100644\n")
        # An empty file created or deleted has no hunks: git shows the header alone.
        # difflib leaves a last line without "\n" as it is; git marks it instead.
        chunks.extend(line if line.endswith("\n") else line + "\n" + NO_NEWLINE for line in lines)
    return "".join(chunks)


def diff_line_count(old_files: Mapping[str, str], new_files: Mapping[str, str | None]) -> int:
    """Lines added plus lines removed from `old_files` to `new_files` (as GitHub counts a PR's size)."""
    return sum(
        1
        for _, _, _, lines in _file_diffs(old_files, new_files)
        for line in lines[2:]
        if line.startswith(("+", "-"))
    )
