"""Finds the file edits in a model's reply: unified diffs or SEARCH/REPLACE edit blocks."""

from __future__ import annotations

import re
from dataclasses import dataclass

import unidiff

from bot.patching.edits import (
    UNNAMED,
    EditKind,
    FileEdit,
    HeaderState,
    Hunk,
    HunkLine,
    LineKind,
    SearchReplace,
)
from bot.patching.envelope import read_envelope, starts_envelope

DEV_NULL = "/dev/null"
DIFF_FENCE_INFOS = ("diff", "patch", "udiff")


NO_EDITS = (
    "the reply contains no unified diff and no SEARCH/REPLACE block; "
    "expected a ```diff block with ---/+++ headers and @@ hunks, or "
    "'path' + '<<<<<<< SEARCH' / '=======' / '>>>>>>> REPLACE' blocks"
)
NO_EDITS_IN_DIFF_FENCE = (
    "the ```{info} block opened on reply line {line} holds no file header (---/+++) and no @@ hunk"
)
NOTHING_CHANGES = (
    "the reply's edits change nothing: every hunk or block has no added or removed line"
)
REFUSED = "the model declined to make the change instead of proposing an edit: {quote!r}"
TRUNCATED_FENCE = (
    "the reply ends inside the ``` block opened on reply line {line}: the output was cut off"
)
TRUNCATED_HUNK = (
    "the reply stops inside hunk {index} of {path}: its header {header!r} announces "
    "{want_old} old / {want_new} new lines but the reply ends after {got_old} / {got_new}"
)
TRUNCATED_LINE = (
    "the reply stops inside hunk {index} of {path}, in an added line without its newline: "
    "the output was cut off"
)
TRUNCATED_HEADER = (
    "the diff for {path} ends after its file header, before any hunk: the output was cut off"
)
TRUNCATED_BLOCK = (
    "the SEARCH/REPLACE block for {path} opened on reply line {line} is never closed "
    "(no {missing!r} line): the output was cut off"
)
BLOCK_NOT_CLOSED = (
    "the SEARCH/REPLACE block for {path} opened on reply line {line} has no {missing!r} line "
    "before the next block starts on reply line {next_line}"
)
HEADER_WITHOUT_HUNKS = "the diff for {path} (reply line {line}) has a file header but no hunk"
RENAME_UNSUPPORTED = (
    "the diff header on reply line {line} names two different files ({old} and {new}); "
    "renames are not supported, send a deletion and an addition instead"
)
BINARY_UNSUPPORTED = (
    "the diff for {path} (reply line {line}) is a binary patch, which cannot be applied as text"
)
ADD_WITH_OLD_LINES = (
    "hunk {index} of {path} creates the file (--- /dev/null) but has context or removed lines"
)
UNPARSEABLE_DIFF = "the diff for {path} (reply line {line}) could not be parsed: {reason}"


FENCE_RE = re.compile(
    r"""
    ^(?P<indent>[ ]{0,3})      # CommonMark allows up to three spaces before a fence
    (?P<fence>`{3,}|~{3,})     # the fence: three or more backticks or tildes
    [ \t]*(?P<info>[^`\s]*)    # info string such as "diff", "patch" or "python"
    [^`]*$                     # anything after the info string (attributes); no backtick
    """,
    re.VERBOSE,
)
HUNK_HEADER_RE = re.compile(
    r"""
    ^@@                          # opening marker
    (?:[ ]+(?P<ranges>.*?))?     # what the model put between the markers: "-1,3 +1,4", "...", ""
    [ ]*@@                       # closing marker
    (?![@])                      # but not a combined diff's "@@@"
    (?P<section>.*)$             # optional section heading (function name)
    """,
    re.VERBOSE,
)
LONE_HUNK_MARK_RE = re.compile(
    r"""
    ^@@[ \t]*$    # a bare "@@" line, which some models use as a hunk separator
    """,
    re.VERBOSE,
)
RANGES_RE = re.compile(
    r"""
    ^-(?P<old_start>\d+)(?:,(?P<old_len>\d+))?    # old range: start[,length]
    [ ]+
    \+(?P<new_start>\d+)(?:,(?P<new_len>\d+))?$   # new range: start[,length]
    """,
    re.VERBOSE,
)
GIT_HEADER_RE = re.compile(
    r"""
    ^diff[ ]--git[ ]    # git's per-file header: "diff --git a/x b/x"
    """,
    re.VERBOSE,
)
GIT_EXTENDED_RE = re.compile(
    r"""
    ^(?:index[ ]                         # index abc..def 100644
      |(?:new|deleted)[ ]file[ ]mode[ ]  # file creation / deletion
      |old[ ]mode[ ]|new[ ]mode[ ]       # mode change
      |similarity[ ]index[ ]|dissimilarity[ ]index[ ]
      |rename[ ]from[ ]|rename[ ]to[ ]|copy[ ]from[ ]|copy[ ]to[ ]
    )
    """,
    re.VERBOSE,
)
OLD_FILE_RE = re.compile(
    r"""
    ^---[ \t]+\S    # "--- a/x.py"; a bare "---" is a markdown rule, not a header
    """,
    re.VERBOSE,
)
NEW_FILE_RE = re.compile(
    r"""
    ^\+\+\+[ \t]+\S    # "+++ b/x.py"
    """,
    re.VERBOSE,
)
SEARCH_RE = re.compile(
    r"""
    ^[ \t]*<{5,9}       # Aider accepts five to nine markers
    [ \t]*SEARCH\b.*$
    """,
    re.VERBOSE,
)
DIVIDER_RE = re.compile(
    r"""
    ^[ \t]*={5,9}[ \t]*$    # "=======" between the SEARCH and the REPLACE part
    """,
    re.VERBOSE,
)
REPLACE_RE = re.compile(
    r"""
    ^[ \t]*>{5,9}       # five to nine markers, as for SEARCH
    [ \t]*REPLACE\b.*$
    """,
    re.VERBOSE,
)
ELISION_RE = re.compile(
    r"""
    ^(?:\.\.\.|…)[ \t]*$    # "..." on its own line between hunks of a fenced diff
    """,
    re.VERBOSE,
)
PATH_LINE_RE = re.compile(
    r"""
    ^[ \t]*
    (?:[#>*-]+[ \t]*)?                       # markdown heading, quote, bold or bullet
    (?:(?:file(?:name)?|path)[ \t]*:[ \t]*)? # "File: x.py"
    [`*"']*                                  # quoting around the path
    (?P<path>[\w.+@~-]*[\w+@~-](?:/[\w.+@~-]+)*/?[\w.+@~-]*)  # the path itself: no spaces
    [`*"']*                                  # closing quotes
    :?[ \t]*$                                # "x.py:" as an introduction
    """,
    re.VERBOSE | re.IGNORECASE,
)
INLINE_PATH_RE = re.compile(
    r"""
    `([^`\s]+)`    # a `path` quoted inside a prose line
    """,
    re.VERBOSE,
)
REFUSAL_RE = re.compile(
    r"""
    \b(?:I|we)[ ]*
    (?:can['’]?t|cannot|can[ ]not|won['’]t|will[ ]not|must[ ]decline
      |(?:am|['’]m|are|['’]re)[ ]+(?:not[ ]+able|unable)[ ]+to)
    [ ]+(?:help|assist|comply|do[ ]that|provide|fulfil|complete|make|change|write|modify)
    |\bas[ ]an[ ]AI\b                       # the classic disclaimer
    |\bI['’]m[ ]sorry,?[ ]but\b             # apology that introduces a refusal
    """,
    re.VERBOSE | re.IGNORECASE,
)


class ReplyError(ValueError):
    """The reply holds no usable edit; the message says what was wrong with it."""


class NoEditFound(ReplyError):
    """The reply has neither a diff nor a SEARCH/REPLACE block (or its edits change nothing)."""


class RefusedReply(ReplyError):
    """The model declined the task instead of proposing an edit."""


class TruncatedReply(ReplyError):
    """The reply was cut off in the middle of an edit."""


class MalformedEdit(ReplyError):
    """The reply has an edit that cannot be read unambiguously."""


@dataclass(slots=True)
class _Fence:
    char: str
    length: int
    indent: int
    info: str
    line: int  # 0-based index of the opening line
    holds_edit: bool = False


@dataclass(slots=True)
class _RawHunk:
    header_line: str | None  # the "@@" line as written, None when the model left it out
    ranges: tuple[int, int, int, int] | None  # old_start, old_len, new_start, new_len as stated
    body: list[str]
    start: int  # 0-based reply line of the header (or of the first body line)
    counts_match: bool
    ends_file: bool = False  # complete only if it reaches the end of the file


def find_edits(reply: str) -> tuple[FileEdit, ...]:
    """Every file edit in `reply`, in reply order; raises ReplyError when there is none usable."""
    scanner = _Scanner(reply)
    edits = scanner.scan()
    if not edits:
        if match := REFUSAL_RE.search(reply):
            raise RefusedReply(REFUSED.format(quote=_sentence_around(reply, pos=match.start())))
        edits = scanner.whole_files()
    if not edits:
        if (fence := scanner.empty_diff_fence) is not None:
            raise NoEditFound(NO_EDITS_IN_DIFF_FENCE.format(info=fence.info, line=fence.line + 1))
        raise NoEditFound(NO_EDITS)
    if not any(edit.changes_something for edit in edits):
        raise NoEditFound(NOTHING_CHANGES)
    return tuple(edits)


class _Scanner:
    """Walks the reply line by line, keeping track of ``` fences."""

    def __init__(self, reply: str) -> None:
        # Replies that travelled through Windows tooling arrive with CRLF; the applier compares
        # line contents and keeps each file's own line endings, so the reply's can be dropped.
        text = reply.replace("\r\n", "\n")
        self.lines = text.split("\n")
        if self.lines and self.lines[-1] == "":
            self.lines.pop()
        self.fence: _Fence | None = None
        self.edits: list[FileEdit] = []
        self.last_block_path: str | None = None
        self.empty_diff_fence: _Fence | None = None
        # A token limit stops the reply anywhere, most often inside a line.
        self.ends_mid_line = bool(text) and not text.endswith("\n")
        self.counted_right = False  # some hunk of the reply has counts that match its body
        self.miscounted = False  # some earlier hunk's counts do not match its body
        # Fenced blocks that hold no edit: (opening line, content), a whole file if nothing else
        self.code_blocks: list[tuple[int, list[str]]] = []

    # -- main loop --

    def scan(self) -> list[FileEdit]:
        i = 0
        n = len(self.lines)
        while i < n:
            line = self.lines[i]
            if self.fence is None and (m := FENCE_RE.match(line)):
                self.fence = _Fence(
                    m["fence"][0], len(m["fence"]), len(m["indent"]), m["info"].lower(), i
                )
                i += 1
                continue
            if self.fence is not None and self._closes_fence(line):
                if self.fence.info in DIFF_FENCE_INFOS and not self.fence.holds_edit:
                    # Only an error if the whole reply turns out to hold no edit.
                    self.empty_diff_fence = self.fence
                elif not self.fence.holds_edit:
                    self.code_blocks.append((self.fence.line, self.lines[self.fence.line + 1 : i]))
                self.fence = None
                i += 1
                continue
            if starts_envelope(line):
                edits, i, problem = read_envelope(self.lines, start=i)
                if problem and i >= n:
                    raise TruncatedReply(problem)
                if problem:
                    raise MalformedEdit(problem)
                self.edits.extend(edits)
                self._mark_fence()
                continue
            if SEARCH_RE.match(line):
                i = self._read_block(i)
                continue
            if self._starts_file_header(i):
                i = self._read_diff_file(i)
                continue
            if HUNK_HEADER_RE.match(line) or LONE_HUNK_MARK_RE.match(line):
                # Without a path the request's own files decide (see naming).
                path = self._path_before(i) or UNNAMED
                i = self._read_diff_file(i, path=path)
                continue
            i += 1
        if self.fence is not None:
            raise TruncatedReply(TRUNCATED_FENCE.format(line=self.fence.line + 1))
        return self.edits

    def whole_files(self) -> list[FileEdit]:
        """A reply with no diff and no block may give whole files instead: a fenced block per
        file, its path on the line before (or none, for the request's one target). Whether a
        block really is the whole file, and not a snippet, the applier checks against it."""
        edits: list[FileEdit] = []
        for line, content in self.code_blocks:
            path = self._path_before(line) or UNNAMED
            if any(edit.path == path for edit in edits):
                return []  # two blocks for one file: snippets, not whole files
            edits.append(
                FileEdit(path, EditKind.MODIFY, whole=_join_lines(content), whole_line=line + 1)
            )
        return edits

    def _closes_fence(self, line: str) -> bool:
        fence = self.fence
        assert fence is not None
        stripped = line.rstrip()
        indent = len(stripped) - len(stripped.lstrip(" "))
        body = stripped.lstrip(" ")
        # A context line " ```" inside a diff of a markdown file must not close the fence, so the
        # closing fence may not be indented deeper than the opening one.
        return indent <= fence.indent and len(body) >= fence.length and set(body) == {fence.char}

    def _mark_fence(self) -> None:
        if self.fence is not None:
            self.fence.holds_edit = True

    # -- SEARCH/REPLACE blocks --

    def _read_block(self, i: int) -> int:
        start = i
        path = self._path_before(i, after_block=True) or UNNAMED
        search: list[str] = []
        replace: list[str] = []
        part = search
        missing = "======="
        i += 1
        n = len(self.lines)
        while i < n:
            line = self.lines[i]
            if part is search and DIVIDER_RE.match(line):
                part = replace
                missing = ">>>>>>> REPLACE"
            elif part is replace and REPLACE_RE.match(line):
                break
            elif SEARCH_RE.match(line):
                raise MalformedEdit(
                    BLOCK_NOT_CLOSED.format(
                        path=path, line=start + 1, missing=missing, next_line=i + 1
                    )
                )
            else:
                part.append(line)
            i += 1
        else:
            raise TruncatedReply(TRUNCATED_BLOCK.format(path=path, line=start + 1, missing=missing))
        block = SearchReplace(
            search=_join_lines(search),
            replace=_join_lines(replace),
            text="\n".join(self.lines[start : i + 1]),
            reply_line=start + 1,
        )
        kind = EditKind.ADD if not search else EditKind.MODIFY
        previous = self.edits[-1] if self.edits else None
        if (
            previous is not None
            and previous.path == path
            and previous.blocks
            and kind is EditKind.MODIFY
            and previous.kind is EditKind.MODIFY
        ):
            self.edits[-1] = FileEdit(path, previous.kind, blocks=(*previous.blocks, block))
        else:
            self.edits.append(FileEdit(path, kind, blocks=(block,)))
        self.last_block_path = path
        self._mark_fence()
        return i + 1

    def _path_before(self, i: int, *, after_block: bool = False) -> str | None:
        """The file path a model writes on the line before a block or a header-less hunk."""
        j = i - 1
        while j >= 0 and (not self.lines[j].strip() or FENCE_RE.match(self.lines[j])):
            j -= 1
        if j < 0:
            return None
        line = self.lines[j]
        if after_block and REPLACE_RE.match(line):
            # Aider lets further blocks for the same file follow without repeating the path.
            return self.last_block_path
        if (m := PATH_LINE_RE.match(line)) and _looks_like_path(m["path"]):
            return _clean_path(m["path"])
        # Prose such as "Here is the change to `bot/x.py`:" names the file in backticks.
        quoted = [p for p in INLINE_PATH_RE.findall(line) if _looks_like_path(p)]
        if len(set(quoted)) == 1:
            return _clean_path(quoted[0])
        return None

    # -- unified diffs --

    def _starts_file_header(self, i: int) -> bool:
        line = self.lines[i]
        nxt = self.lines[i + 1] if i + 1 < len(self.lines) else ""
        if GIT_HEADER_RE.match(line):
            return True
        if OLD_FILE_RE.match(line):
            return bool(NEW_FILE_RE.match(nxt) or HUNK_HEADER_RE.match(nxt))
        if NEW_FILE_RE.match(line):
            return bool(
                HUNK_HEADER_RE.match(nxt) or LONE_HUNK_MARK_RE.match(nxt) or _is_change_line(nxt)
            )
        return False

    def _read_diff_file(self, i: int, *, path: str | None = None) -> int:
        """Read one file's header and hunks starting at line i; return the next line to scan."""
        start = i
        header: list[str] = []
        n = len(self.lines)
        if path is not None:
            # A bare hunk after a path line: give unidiff the ---/+++ header it requires.
            header = [f"--- a/{path}", f"+++ b/{path}"]
        else:
            if GIT_HEADER_RE.match(self.lines[i]):
                header.append(self.lines[i])
                i += 1
                while i < n and GIT_EXTENDED_RE.match(self.lines[i]):
                    header.append(self.lines[i])
                    i += 1
            if i < n and OLD_FILE_RE.match(self.lines[i]):
                header.append(self.lines[i])
                i += 1
                if i < n and NEW_FILE_RE.match(self.lines[i]):
                    header.append(self.lines[i])
                    i += 1
                else:
                    # "--- x" straight followed by a hunk: unidiff needs the "+++" half too.
                    header.append("+++ " + header[-1][4:])
            elif i < n and NEW_FILE_RE.match(self.lines[i]):
                # "+++ x" without its "---" half: unidiff rejects a target without a source.
                header.append("--- " + self.lines[i][4:])
                header.append(self.lines[i])
                i += 1
        label = path or _label_from_header(header)
        if i < n and self.lines[i].startswith("Binary files "):
            raise MalformedEdit(BINARY_UNSUPPORTED.format(path=label, line=start + 1))
        hunks: list[_RawHunk] = []
        while i < n:
            line = self.lines[i]
            if line == "" and hunks:
                # Blank lines between two hunks: skip them only if another hunk follows.
                j = i
                while j < n and self.lines[j] == "":
                    j += 1
                if j < n and (
                    HUNK_HEADER_RE.match(self.lines[j]) or LONE_HUNK_MARK_RE.match(self.lines[j])
                ):
                    i = j
                    continue
                break
            if HUNK_HEADER_RE.match(line) or LONE_HUNK_MARK_RE.match(line):
                hunk, i = self._read_hunk(i, header_line=line, path=label, index=len(hunks) + 1)
            elif (not hunks or ELISION_RE.match(self.lines[i - 1])) and _is_change_line(line):
                # The model left out the "@@" line (right after the file header, or after a
                # "..." elision); unidiff would take these lines for free text and drop them.
                hunk, i = self._read_hunk(i, header_line=None, path=label, index=len(hunks) + 1)
            elif hunks and ELISION_RE.match(line) and self.fence is not None:
                i += 1
                continue
            else:
                break
            hunks.append(hunk)
        if not hunks:
            git_empty = any(h.startswith(("new file mode", "deleted file mode")) for h in header)
            if not git_empty:
                if i >= n:
                    raise TruncatedReply(TRUNCATED_HEADER.format(path=label))
                raise MalformedEdit(HEADER_WITHOUT_HUNKS.format(path=label, line=start + 1))
        self.edits.append(self._to_file_edit(header, raw=hunks, start=start))
        self._mark_fence()
        return i

    def _read_hunk(
        self, i: int, *, header_line: str | None, path: str, index: int
    ) -> tuple[_RawHunk, int]:
        n = len(self.lines)
        start = i
        ranges: tuple[int, int, int, int] | None = None
        if header_line is not None:
            m = HUNK_HEADER_RE.match(header_line)
            r = RANGES_RE.match((m["ranges"] or "").strip()) if m else None
            if r:
                ranges = (
                    int(r["old_start"]),
                    int(r["old_len"]) if r["old_len"] is not None else 1,
                    int(r["new_start"]),
                    int(r["new_len"]) if r["new_len"] is not None else 1,
                )
            i += 1
        # Where the body ends by its look: the run of body lines up to the next header, fence or
        # prose line. Trailing blank lines may be separators or context lines whose leading space
        # an editor stripped; the stated counts decide, and without counts they are separators.
        end = i
        while end < n and _is_body_line(self.lines[end]) and not self._next_file_starts(end):
            end += 1
        trimmed = end
        while trimmed > i and self.lines[trimmed - 1] == "":
            trimmed -= 1
        body_end = trimmed
        counts_match = False
        ends_file = False
        if ranges is not None:
            counted = _counted_end(self.lines, i=i, end=end, want_old=ranges[1], want_new=ranges[3])
            if (
                counted is None
                and end >= n
                and self._cut_off(self.lines[i:end], want_old=ranges[1], want_new=ranges[3])
            ):
                got_old, got_new = _count(self.lines[i:end])
                raise TruncatedReply(
                    TRUNCATED_HUNK.format(
                        index=index,
                        path=path,
                        header=header_line,
                        want_old=ranges[1],
                        want_new=ranges[3],
                        got_old=got_old,
                        got_new=got_new,
                    )
                )
            if counted is None and end >= n and _short_tail(self.lines[i:end]):
                ends_file = True
            if counted is not None and trimmed <= counted <= end:
                body_end = counted
                counts_match = True
                self.counted_right = True
            elif counted is not None or end < n:
                self.miscounted = True
        body = self.lines[i:body_end]
        if self.ends_mid_line and body_end >= n and body and body[-1].startswith("+"):
            # An added line with nothing after it, not even its newline: a complete reply ends
            # a hunk with context, or marks a missing final newline; a cut one stops anywhere.
            raise TruncatedReply(TRUNCATED_LINE.format(index=index, path=path))
        return _RawHunk(header_line, ranges, body, start, counts_match, ends_file), body_end

    def _cut_off(self, body: list[str], *, want_old: int, want_new: int) -> bool:
        """Whether a hunk that runs to the end of the reply, shorter than its header says, was
        cut off rather than miscounted (then it is recounted, like `git apply --recount`).

        A reply cut off by a token limit stops mid-line, or mid-change; a diff tool's hunk ends
        with context lines (if it ends with fewer than it starts with, the applier checks that it
        reaches the end of the file: see `Hunk.ends_file`). And a model whose other hunks
        counted right would have counted this one right too.
        """
        if self.ends_mid_line or self.counted_right:
            return True
        got_old, got_new = _count(body)
        if got_old < want_old and got_new < want_new and not self.miscounted:
            # What a cut leaves out always includes context, which counts on both sides; short
            # on both sides, a hunk is taken for a miscount only from a model that miscounted
            # an earlier hunk of the reply.
            return True
        kinds = [line[:1] if line[:1] in ("+", "-") else " " for line in body if line[:1] != "\\"]
        return not kinds or kinds[-1] != " "

    def _next_file_starts(self, i: int) -> bool:
        # Inside a hunk only a full "--- x" + "+++ y" pair starts the next file: a lone "--- x"
        # is as likely a removed line whose text begins with "-- ".
        return (
            OLD_FILE_RE.match(self.lines[i]) is not None
            and i + 1 < len(self.lines)
            and NEW_FILE_RE.match(self.lines[i + 1]) is not None
        )

    def _to_file_edit(self, header: list[str], *, raw: list[_RawHunk], start: int) -> FileEdit:
        """Hand the (normalised) section to unidiff and convert its result to our types."""
        text_lines = list(header)
        for hunk in raw:
            old_len, new_len = _count(hunk.body)
            if hunk.header_line is not None and hunk.counts_match:
                text_lines.append(hunk.header_line)
            else:
                # Missing or wrong numbers: unidiff needs a header whose counts match the body,
                # or it rejects the hunk ("Hunk is longer/shorter than expected").
                old_start = hunk.ranges[0] if hunk.ranges else 0
                new_start = hunk.ranges[2] if hunk.ranges else 0
                text_lines.append(f"@@ -{old_start},{old_len} +{new_start},{new_len} @@")
            text_lines.extend(hunk.body)
        label = _label_from_header(header)
        try:
            patch = unidiff.PatchSet("\n".join(text_lines) + "\n")
        except unidiff.UnidiffParseError as exc:
            raise MalformedEdit(
                UNPARSEABLE_DIFF.format(path=label, line=start + 1, reason=exc)
            ) from exc
        if len(patch) != 1 or len(patch[0]) != len(raw):
            raise MalformedEdit(
                UNPARSEABLE_DIFF.format(path=label, line=start + 1, reason="header not understood")
            )
        patched = patch[0]
        if patched.is_binary_file:
            raise MalformedEdit(BINARY_UNSUPPORTED.format(path=label, line=start + 1))
        source, target = _unquote(patched.source_file), _unquote(patched.target_file)
        if source == DEV_NULL:
            kind, path = EditKind.ADD, _strip_prefix(target, prefix="b/")
        elif target == DEV_NULL:
            kind, path = EditKind.DELETE, _strip_prefix(source, prefix="a/")
        else:
            kind = EditKind.MODIFY
            path = _same_path(source, target=target, line=start + 1)
        hunks = tuple(
            _to_hunk(uh, raw=rh, lines=self.lines) for uh, rh in zip(patched, raw, strict=True)
        )
        if kind is EditKind.ADD:
            for index, parsed in enumerate(hunks, 1):
                if any(line.kind is not LineKind.ADDED for line in parsed.lines):
                    raise MalformedEdit(ADD_WITH_OLD_LINES.format(index=index, path=path))
        return FileEdit(path, kind, hunks=hunks)


def _short_tail(body: list[str]) -> bool:
    """Whether the hunk ends with fewer context lines than it starts with: complete only if it
    reaches the end of the file, which the applier checks."""
    kinds = [line[:1] if line[:1] in ("+", "-") else " " for line in body if line[:1] != "\\"]
    lead = next((k for k, kind in enumerate(kinds) if kind != " "), len(kinds))
    trail = next((k for k, kind in enumerate(reversed(kinds)) if kind != " "), len(kinds))
    return trail < lead


def _is_body_line(line: str) -> bool:
    return line == "" or line[0] in " +-\\"


def _is_change_line(line: str) -> bool:
    return bool(line) and line[0] in " +-" and not line.startswith(("--- ", "+++ "))


def _count(body: list[str]) -> tuple[int, int]:
    old = new = 0
    for line in body:
        kind = line[:1]
        if kind in ("", " "):
            old += 1
            new += 1
        elif kind == "-":
            old += 1
        elif kind == "+":
            new += 1
    return old, new


def _counted_end(lines: list[str], *, i: int, end: int, want_old: int, want_new: int) -> int | None:
    """Where the body ends if the header's counts are right; None if the lines run out first."""
    old = new = 0
    if want_old == 0 and want_new == 0:
        return i
    for j in range(i, end):
        kind = lines[j][:1]
        if kind in ("", " "):
            old += 1
            new += 1
        elif kind == "-":
            old += 1
        elif kind == "+":
            new += 1
        if old > want_old or new > want_new:
            return -1  # the counts are too small: never inside the accepted range
        if old == want_old and new == want_new:
            # A trailing "\ No newline" marker belongs to the hunk as well.
            if j + 1 < end and lines[j + 1].startswith("\\"):
                return j + 2
            return j + 1
    return None


def _to_hunk(uh: unidiff.Hunk, *, raw: _RawHunk, lines: list[str]) -> Hunk:
    out: list[HunkLine] = []
    old_nl = new_nl = False
    for line in uh:
        value = line.value.removesuffix("\n")
        if line.line_type == "\\":
            if out and out[-1].kind is not LineKind.ADDED:
                old_nl = True
            if out and out[-1].kind is not LineKind.REMOVED:
                new_nl = True
            continue
        if line.line_type not in ("+", "-", " "):
            continue  # unidiff's trailing "empty line" entries carry nothing
        out.append(HunkLine(LineKind(line.line_type), value))
    end = raw.start + (1 if raw.header_line is not None else 0) + len(raw.body)
    if raw.ranges is None:
        state = HeaderState.MISSING
    elif raw.counts_match:
        state = HeaderState.STATED
    else:
        state = HeaderState.MISCOUNTED
    return Hunk(
        lines=tuple(out),
        old_start=raw.ranges[0] if raw.ranges else None,
        new_start=raw.ranges[2] if raw.ranges else None,
        header=state,
        text="\n".join(lines[raw.start : end]),
        reply_line=raw.start + 1,
        old_missing_newline=old_nl,
        new_missing_newline=new_nl,
        ends_file=raw.ends_file,
    )


def _looks_like_path(path: str) -> bool:
    # A bare word ("Sure", "Done") is prose; a path has a directory or an extension.
    return ("." in path.strip(".") or "/" in path) and not path.startswith(("http:", "https:"))


def _join_lines(lines: list[str]) -> str:
    return "".join(line + "\n" for line in lines)


def _unquote(path: str) -> str:
    path = path.strip()
    if len(path) >= 2 and path[0] == path[-1] == '"':
        path = path[1:-1]
    return path


def _clean_path(path: str) -> str:
    path = path.strip().strip("`'\"")
    while path.startswith("./"):
        path = path[2:]
    return path


def _strip_prefix(path: str, *, prefix: str) -> str:
    return _clean_path(path.removeprefix(prefix))


def _same_path(source: str, *, target: str, line: int) -> str:
    """The one path both header lines name, with git's a/ b/ prefixes removed where present."""
    if source == target:
        return _clean_path(source)
    candidates = [
        (_strip_prefix(source, prefix="a/"), _strip_prefix(target, prefix="b/")),
        (_clean_path(source), _strip_prefix(target, prefix="b/")),
        (_strip_prefix(source, prefix="a/"), _clean_path(target)),
    ]
    for old, new in candidates:
        if old == new:
            return old
    raise MalformedEdit(RENAME_UNSUPPORTED.format(line=line, old=source, new=target))


def _label_from_header(header: list[str]) -> str:
    for line in reversed(header):
        if line.startswith(("+++ ", "--- ")):
            name = line[4:].split("\t")[0].strip()
            if name != DEV_NULL:
                return _clean_path(name[2:] if name[:2] in ("a/", "b/") else name)
    for line in header:
        if line.startswith("diff --git "):
            return line.split()[-1].removeprefix("b/")
    return "<unnamed file>"


def _sentence_around(text: str, *, pos: int) -> str:
    start = max(text.rfind("\n", 0, pos), text.rfind(". ", 0, pos) + 1, 0)
    end_candidates = [i for i in (text.find("\n", pos), text.find(". ", pos)) if i != -1]
    end = min(end_candidates) + 1 if end_candidates else len(text)
    return text[start:end].strip()[:200]
