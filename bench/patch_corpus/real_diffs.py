"""Real per-file diffs between two released versions of pure-Python packages, fetched from PyPI."""

from __future__ import annotations

import difflib
import os
import random
import re
import subprocess
import sys
import zipfile
from dataclasses import dataclass
from pathlib import Path

# Pure-Python packages at two nearby releases: the files that changed between them are real
# edits made by real maintainers, which is what a model's diff is supposed to reproduce.
# Three sources of real history, each a group of different projects. Replies are tuned on the
# first two; KEPT_ASIDE is run for the final figure only and was never looked at while tuning.
SOURCES: dict[str, tuple[tuple[str, str, str], ...]] = {
    "web": (
        ("requests", "2.31.0", "2.32.3"),
        ("flask", "3.0.0", "3.0.3"),
        ("click", "8.1.3", "8.1.7"),
        ("jinja2", "3.1.2", "3.1.4"),
        ("werkzeug", "3.0.1", "3.0.3"),
        ("httpx", "0.26.0", "0.27.0"),
        ("urllib3", "2.0.7", "2.2.1"),
        ("starlette", "0.36.3", "0.37.2"),
        ("anyio", "4.2.0", "4.3.0"),
        ("typer", "0.9.0", "0.12.3"),
        ("fastapi", "0.109.0", "0.110.0"),
        ("django", "5.0.1", "5.0.4"),
    ),
    "tools": (
        ("rich", "13.6.0", "13.7.1"),
        ("attrs", "23.1.0", "23.2.0"),
        ("packaging", "23.1", "23.2"),
        ("pydantic", "2.5.3", "2.6.4"),
        ("pygments", "2.16.1", "2.17.2"),
        ("pytest", "7.4.3", "8.0.0"),
        ("pip", "23.3.1", "24.0"),
        ("sphinx", "7.2.5", "7.2.6"),
        ("alembic", "1.13.0", "1.13.1"),
    ),
    "assorted (kept aside)": (
        ("mako", "1.3.0", "1.3.2"),
        ("markdown", "3.5.1", "3.5.2"),
        ("tomlkit", "0.12.1", "0.12.4"),
        ("more-itertools", "10.1.0", "10.2.0"),
        ("docutils", "0.20", "0.20.1"),
        ("sqlparse", "0.4.4", "0.5.0"),
        ("pyparsing", "3.1.1", "3.1.2"),
        ("isort", "5.12.0", "5.13.2"),
        ("tqdm", "4.66.1", "4.66.4"),
        ("networkx", "3.2", "3.2.1"),
    ),
}
KEPT_ASIDE = "assorted (kept aside)"
PAIRS: tuple[tuple[str, str, str], ...] = tuple(p for pairs in SOURCES.values() for p in pairs)
CACHE = Path(
    os.environ.get("EVOLVE_BENCH_CACHE", Path.home() / ".cache" / "evolve-bot" / "patch_corpus")
)
CONTEXT = 3
# "Moderate size": what a model would plausibly write in one reply for one file.
MAX_HUNKS = 6
MAX_CHANGED_LINES = 60
MAX_FILE_LINES = 4000
PER_PACKAGE_CAP = 40

LINE_RE = re.compile(
    r"""
    [^\n]*\n      # a line with its newline (form feeds and the like stay inside the line)
    | [^\n]+\Z    # a last line without one
    """,
    re.VERBOSE,
)


@dataclass(frozen=True, slots=True)
class DiffHunk:
    """One -U3 hunk: lines are (tag, text-with-optional-newline)."""

    old_start: int
    old_len: int
    new_start: int
    new_len: int
    lines: tuple[tuple[str, str], ...]


@dataclass(frozen=True, slots=True)
class RealDiff:
    source: str  # the group of projects in SOURCES
    package: str
    path: str  # path inside the wheel, e.g. "requests/models.py"
    old: str
    new: str
    hunks: tuple[DiffHunk, ...]
    siblings: tuple[str, ...] = ()  # every Python file of the package: what exists beside it


def split_lines(text: str) -> list[str]:
    return LINE_RE.findall(text)


def make_hunks(old: str, new: str, *, context: int = CONTEXT) -> tuple[DiffHunk, ...]:
    a, b = split_lines(old), split_lines(new)
    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    hunks = []
    for group in matcher.get_grouped_opcodes(context):
        i1, i2, j1, j2 = group[0][1], group[-1][2], group[0][3], group[-1][4]
        lines: list[tuple[str, str]] = []
        for tag, a1, a2, b1, b2 in group:
            if tag == "equal":
                lines += [(" ", x) for x in a[a1:a2]]
                continue
            if tag in ("replace", "delete"):
                lines += [("-", x) for x in a[a1:a2]]
            if tag in ("replace", "insert"):
                lines += [("+", x) for x in b[b1:b2]]
        old_start = i1 + 1 if i2 > i1 else i1
        new_start = j1 + 1 if j2 > j1 else j1
        hunks.append(DiffHunk(old_start, i2 - i1, new_start, j2 - j1, tuple(lines)))
    return tuple(hunks)


def _range(start: int, *, length: int) -> str:
    return str(start) if length == 1 else f"{start},{length}"


def hunk_header(h: DiffHunk) -> str:
    return (
        f"@@ -{_range(h.old_start, length=h.old_len)} +{_range(h.new_start, length=h.new_len)} @@"
    )


def hunk_body(h: DiffHunk) -> list[str]:
    """Body lines without newlines, with git's marker after a line lacking its newline."""
    out = []
    for tag, text in h.lines:
        if text.endswith("\n"):
            out.append(tag + text[:-1])
        else:
            out.append(tag + text)
            out.append("\\ No newline at end of file")
    return out


def render(path: str, *, hunks: tuple[DiffHunk, ...]) -> str:
    lines = [f"--- a/{path}", f"+++ b/{path}"]
    for h in hunks:
        lines.append(hunk_header(h))
        lines.extend(hunk_body(h))
    return "\n".join(lines) + "\n"


def _wheel(package: str, *, version: str) -> Path:
    folder = CACHE / "wheels"
    folder.mkdir(parents=True, exist_ok=True)
    prefix = package.replace("-", "_").lower() + "-" + version + "-"
    found = [p for p in folder.glob("*.whl") if p.name.lower().startswith(prefix)]
    if not found:
        subprocess.run(
            [
                sys.executable,
                "-m",
                "pip",
                "download",
                "--no-deps",
                "--only-binary=:all:",
                "--quiet",
                "-d",
                str(folder),
                f"{package}=={version}",
            ],
            check=True,
        )
        found = [p for p in folder.glob("*.whl") if p.name.lower().startswith(prefix)]
    if not found:
        raise RuntimeError(f"no wheel for {package}=={version} in {folder}")
    return found[0]


def _python_files(wheel: Path) -> dict[str, str]:
    out = {}
    with zipfile.ZipFile(wheel) as zf:
        for name in zf.namelist():
            if not name.endswith(".py") or ".dist-info/" in name:
                continue
            try:
                text = zf.read(name).decode("utf-8")
            except UnicodeDecodeError:
                continue
            if "\r" in text:
                continue  # the CRLF class converts files itself; start from LF-only files
            out[name] = text
    return out


def build(*, seed: int, sources: tuple[str, ...] = ()) -> tuple[list[RealDiff], dict[str, int]]:
    """All moderate per-file diffs of SOURCES (at most PER_PACKAGE_CAP per package, chosen by
    seed); only the named `sources` if given."""
    rng = random.Random(seed)
    diffs: list[RealDiff] = []
    per_package: dict[str, int] = {}
    for source, pairs in SOURCES.items():
        if sources and source not in sources:
            continue
        for package, old_version, new_version in pairs:
            old_files = _python_files(_wheel(package, version=old_version))
            new_files = _python_files(_wheel(package, version=new_version))
            siblings = tuple(sorted(old_files))
            found = []
            for path in sorted(old_files.keys() & new_files.keys()):
                old, new = old_files[path], new_files[path]
                if old == new or old.count("\n") > MAX_FILE_LINES:
                    continue
                hunks = make_hunks(old, new)
                changed = sum(1 for h in hunks for tag, _ in h.lines if tag != " ")
                if not hunks or len(hunks) > MAX_HUNKS or changed > MAX_CHANGED_LINES:
                    continue
                found.append(RealDiff(source, package, path, old, new, hunks, siblings))
            rng.shuffle(found)
            kept = sorted(found[:PER_PACKAGE_CAP], key=lambda d: d.path)
            per_package[f"{package} {old_version}→{new_version}"] = len(kept)
            diffs.extend(kept)
    return diffs, per_package
