"""The `*** Begin Patch` envelope some models emit natively (OpenAI's apply_patch format).

Grammar, as Codex documents it:

    Patch      := "*** Begin Patch" { FileOp } "*** End Patch"
    FileOp     := AddFile | DeleteFile | UpdateFile
    AddFile    := "*** Add File: " path { "+" line }
    DeleteFile := "*** Delete File: " path
    UpdateFile := "*** Update File: " path [ "*** Move to: " path ] { Hunk }
    Hunk       := "@@" [ " " anchor ] { (" " | "-" | "+") line } [ "*** End of File" ]

A hunk has no line numbers; its optional anchor is a line (a `def`, a `class`) above the
change, which the applier looks for before the hunk's own context.
"""

from __future__ import annotations

import re

from bot.patching.edits import EditKind, FileEdit, HeaderState, Hunk, HunkLine, LineKind

BEGIN = "*** Begin Patch"
END = "*** End Patch"
END_OF_FILE = "*** End of File"
OP_RE = re.compile(
    r"""
    ^\*\*\*[ ](?P<op>Add|Delete|Update)[ ]File:[ ]*(?P<path>\S.*?)\s*$   # a file operation
    """,
    re.VERBOSE,
)
MOVE_RE = re.compile(r"^\*\*\*[ ]Move[ ]to:[ ]*(?P<path>\S.*?)\s*$", re.VERBOSE)

ENVELOPE_NOT_CLOSED = (
    "the *** Begin Patch on reply line {line} has no *** End Patch: the output was cut off"
)
ENVELOPE_MOVE = (
    "the *** Update File: {path} on reply line {line} also moves the file; renames are not "
    "supported, send a deletion and an addition instead"
)
ENVELOPE_STRAY = "reply line {line} inside the *** Begin Patch envelope is not part of it: {text!r}"
ENVELOPE_ADD_LINE = "reply line {line} adds file {path}, but does not start with '+': {text!r}"


def starts_envelope(line: str) -> bool:
    return line.strip() == BEGIN


def read_envelope(lines: list[str], *, start: int) -> tuple[list[FileEdit], int, str]:
    """The edits of the envelope opening at `start`, the line after it, and what went wrong
    ("" if nothing did); a problem names the reply line."""
    edits: list[FileEdit] = []
    i = start + 1
    n = len(lines)
    while i < n:
        line = lines[i]
        if line.strip() == END:
            return edits, i + 1, ""
        if not line.strip():
            i += 1
            continue
        m = OP_RE.match(line)
        if m is None:
            return edits, i, ENVELOPE_STRAY.format(line=i + 1, text=line)
        path, op = m["path"], m["op"]
        i += 1
        if op == "Delete":
            edits.append(FileEdit(path, EditKind.DELETE))
            continue
        if op == "Add":
            body_start = i
            added = []
            while i < n and not lines[i].startswith("*** "):
                if not lines[i].startswith("+"):
                    return edits, i, ENVELOPE_ADD_LINE.format(line=i + 1, path=path, text=lines[i])
                added.append(HunkLine(LineKind.ADDED, lines[i][1:]))
                i += 1
            hunk = Hunk(
                tuple(added),
                None,
                None,
                HeaderState.MISSING,
                "\n".join(lines[body_start:i]),
                body_start + 1,
            )
            edits.append(FileEdit(path, EditKind.ADD, hunks=(hunk,)))
            continue
        if i < n and MOVE_RE.match(lines[i]):
            return edits, i, ENVELOPE_MOVE.format(path=path, line=i)
        hunks = []
        while i < n and lines[i].startswith("@@"):
            hunk_start = i
            anchor = lines[i][2:].strip()
            i += 1
            body: list[HunkLine] = []
            while i < n and not lines[i].startswith(("@@", "*** ")):
                text = lines[i]
                kind = {"+": LineKind.ADDED, "-": LineKind.REMOVED}.get(text[:1], LineKind.CONTEXT)
                body.append(HunkLine(kind, text[1:] if text[:1] in ("+", "-", " ") else text))
                i += 1
            while body and body[-1].kind is LineKind.CONTEXT and not body[-1].text:
                body.pop()  # blank lines before the next operation
            ends_file = i < n and lines[i].strip() == END_OF_FILE
            if ends_file:
                i += 1
            hunks.append(
                Hunk(
                    tuple(body),
                    None,
                    None,
                    HeaderState.MISSING,
                    "\n".join(lines[hunk_start:i]),
                    hunk_start + 1,
                    ends_file=ends_file,
                    anchor=anchor,
                )
            )
        if not hunks and i < n and not OP_RE.match(lines[i]) and lines[i].strip() != END:
            return edits, i, ENVELOPE_STRAY.format(line=i + 1, text=lines[i])
        edits.append(FileEdit(path, EditKind.MODIFY, hunks=tuple(hunks)))
    return edits, n, ENVELOPE_NOT_CLOSED.format(line=start + 1)
