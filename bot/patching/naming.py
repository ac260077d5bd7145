"""Which file an edit changes: the path the reply wrote, read against the request's own files.

A model's reply may name no file at all (bare hunks, a SEARCH block with no path line), or a
path that is almost right: git's `a/` or `b/`, a `./`, the repository's name in front, or a
path relative to a sub-folder. The request knows which files it targets and which exist; an
edit goes to the one file that fits, and is refused, naming the candidates, when several do.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from dataclasses import replace

from bot.patching.edits import UNNAMED, EditKind, FileEdit
from bot.patching.reply import ReplyError

UNNAMED_NO_TARGET = (
    "the reply's edit on reply line {line} names no file, and the request names none it could "
    "change"
)
UNNAMED_SEVERAL = (
    "the reply's edit on reply line {line} names no file, and it fits {count} of the files the "
    "request targets: {candidates}"
)
UNNAMED_NONE_FITS = (
    "the reply's edit on reply line {line} names no file, and it fits none of the files the "
    "request targets: {candidates}"
)
PATH_SEVERAL = "the reply's path {path} (reply line {line}) fits {count} files: {candidates}"

PREFIXES = ("a/", "b/", "./", "/")


class UnclearFile(ReplyError):
    """An edit whose file cannot be told from the reply and the request."""


def name_files(
    edits: Sequence[FileEdit],
    *,
    targets: Collection[str],
    existing: Collection[str],
    fits: Callable[[FileEdit, str], bool] | None = None,
) -> tuple[FileEdit, ...]:
    """`edits` with each path read against the request: `targets` (the files it asks to
    change, first), `existing` (every file there is). `fits(edit, path)` says whether an
    edit's lines are found in a file; used only to choose between several candidates.

    Raises UnclearFile when an edit names no file and not exactly one target fits, or names a
    path that matches several files.
    """
    out = []
    for edit in edits:
        out.append(replace(edit, path=_named(edit, targets=targets, existing=existing, fits=fits)))
    return tuple(out)


def _line(edit: FileEdit) -> int:
    units = (*edit.hunks, *edit.blocks)
    return units[0].reply_line if units else 1


def _named(
    edit: FileEdit,
    *,
    targets: Collection[str],
    existing: Collection[str],
    fits: Callable[[FileEdit, str], bool] | None,
) -> str:
    if edit.path == UNNAMED:
        return _unnamed(edit, targets=targets, existing=existing, fits=fits)
    if edit.kind is EditKind.ADD or edit.path in existing:
        return edit.path
    path = edit.path
    while path.startswith(PREFIXES):
        path = path[2:] if path[:2] in PREFIXES else path[1:]
    if path in existing:
        return path
    # Relative to a sub-folder ("x.py" for "pkg/x.py"), or with something in front
    # ("repo/pkg/x.py" for "pkg/x.py"): the parts that are there must line up from the end.
    matches = sorted(p for p in existing if p.endswith("/" + path) or path.endswith("/" + p))
    if len(matches) > 1:
        targeted = [p for p in matches if p in targets]
        matches = targeted if targeted else matches
    if len(matches) > 1 and fits is not None:
        matches = [p for p in matches if fits(edit, p)] or matches
    if len(matches) == 1:
        return matches[0]
    if len(matches) > 1:
        raise UnclearFile(
            PATH_SEVERAL.format(
                path=edit.path, line=_line(edit), count=len(matches), candidates=", ".join(matches)
            )
        )
    return edit.path


def _unnamed(
    edit: FileEdit,
    *,
    targets: Collection[str],
    existing: Collection[str],
    fits: Callable[[FileEdit, str], bool] | None,
) -> str:
    line = _line(edit)
    if edit.kind is EditKind.ADD:
        candidates = sorted(p for p in targets if p not in existing)
    else:
        candidates = sorted(p for p in targets if p in existing)
    if not candidates:
        raise UnclearFile(UNNAMED_NO_TARGET.format(line=line))
    if len(candidates) == 1:
        return candidates[0]
    fitting = [p for p in candidates if fits is not None and fits(edit, p)]
    if len(fitting) == 1:
        return fitting[0]
    listed = ", ".join(fitting or candidates)
    if fitting or fits is None:
        raise UnclearFile(
            UNNAMED_SEVERAL.format(line=line, count=len(fitting or candidates), candidates=listed)
        )
    raise UnclearFile(UNNAMED_NONE_FITS.format(line=line, candidates=listed))
