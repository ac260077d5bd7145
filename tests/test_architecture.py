"""The house's shape: bot/ never imports webhooks/, and the sandbox stays out of the bot's path."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def imports(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return found


def test_bot_never_imports_webhooks() -> None:
    offenders = [str(p.relative_to(ROOT)) for p in (ROOT / "bot").rglob("*.py") if any(m.split(".")[0] == "webhooks" for m in imports(p))]
    assert offenders == []


def test_only_the_sandbox_imports_the_sandbox() -> None:
    offenders = [
        str(p.relative_to(ROOT))
        for p in (ROOT / "bot").rglob("*.py")
        if "sandbox" not in p.parts and p.name not in ("cli.py", "demo.py") and any(m.startswith("bot.sandbox") for m in imports(p))
    ]
    assert offenders == []


def test_every_module_has_a_one_line_docstring() -> None:
    missing = []
    for package in ("bot", "webhooks"):
        for path in (ROOT / package).rglob("*.py"):
            if "migrations" in path.parts:
                continue
            doc = ast.get_docstring(ast.parse(path.read_text()))
            if not doc or not doc.splitlines()[0].strip():
                missing.append(str(path.relative_to(ROOT)))
    assert missing == []
