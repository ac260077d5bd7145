"""Risk of a change, from its size, the paths it touches and its kind: a score with its reasons."""

from __future__ import annotations

import fnmatch
from collections.abc import Sequence
from dataclasses import dataclass

# Paths whose changes reach beyond the code they sit in: build, dependencies, CI, data.
SENSITIVE_PATHS = (
    "setup.py", "setup.cfg", "pyproject.toml", "requirements*.txt", "*.lock", "package.json",
    "package-lock.json", "Cargo.toml", "go.mod", "Dockerfile", "Makefile", ".github/*", "*/migrations/*",
    "*.sql", "*.yml", "*.yaml", "*.ini", "*.cfg", "*.toml", "*conftest.py",
)  # fmt: skip

KIND_RISK = {
    "revert": 0.0,  # going back to a commit whose CI was green
    "onboarding": 0.05,  # one new, commented config file
    "playbook": 0.05,
    "rewrite": 0.15,  # structural, mechanical, asked for by a maintainer
    "learned_rule": 0.25,  # structural, but generalised by the bot
    "instruction": 0.45,  # free text through a model
}
UNKNOWN_KIND_RISK = 0.5

LOW, MEDIUM, HIGH = "low", "medium", "high"
LOW_BELOW, HIGH_FROM = 0.3, 0.6


@dataclass(frozen=True, slots=True)
class Risk:
    """How risky a change is: `level` for the gate, `score` in 0..1, and why."""

    level: str
    score: float
    reasons: tuple[str, ...]


def assess(*, kind: str, paths: Sequence[str], diff_lines: int) -> Risk:
    """Score a change: the kind's base risk, plus size and sensitive paths, capped at 1."""
    score = KIND_RISK.get(kind, UNKNOWN_KIND_RISK)
    reasons = [f"kind {kind} starts at {score:.2f}"]
    if diff_lines > 200:
        score += 0.3
        reasons.append(f"large diff ({diff_lines} lines)")
    elif diff_lines > 50:
        score += 0.15
        reasons.append(f"medium diff ({diff_lines} lines)")
    if len(paths) > 10:
        score += 0.15
        reasons.append(f"touches {len(paths)} files")
    sensitive = sorted({p for p in paths if any(fnmatch.fnmatch(p, pat) or fnmatch.fnmatch(p.rsplit("/", 1)[-1], pat) for pat in SENSITIVE_PATHS)})
    if sensitive:
        score += 0.3
        reasons.append("sensitive paths: " + ", ".join(sensitive[:5]) + (" …" if len(sensitive) > 5 else ""))
    score = min(score, 1.0)
    level = LOW if score < LOW_BELOW else HIGH if score >= HIGH_FROM else MEDIUM
    return Risk(level=level, score=round(score, 3), reasons=tuple(reasons))
