"""The rules and patching packages: code outside them uses only what their `__init__` exports."""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("bot.rules", "bot.patching")


def module_imports(path: Path) -> list[tuple[str, str | None]]:
    """(module, name) for every `from module import name` and (module, None) for `import module`."""
    found: list[tuple[str, str | None]] = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.extend((node.module, alias.name) for alias in node.names)
        elif isinstance(node, ast.Import):
            found.extend((alias.name, None) for alias in node.names)
    return found


def production_files() -> list[Path]:
    return [p for d in ("bot", "webhooks", "bench") for p in sorted((ROOT / d).rglob("*.py"))]


@pytest.mark.parametrize("package", PACKAGES)
def test_code_outside_the_package_imports_only_its_public_surface(package: str) -> None:
    inside = ROOT.joinpath(*package.split("."))
    public = set(importlib.import_module(package).__all__)
    offenders = []
    for path in production_files():
        if inside in path.parents:
            continue
        for module, name in module_imports(path):
            if module.startswith(package + ".") or (module == package and name not in public):
                offenders.append(f"{path.relative_to(ROOT)}: {module} {name or ''}".strip())
    assert offenders == []


@pytest.mark.parametrize("package", PACKAGES)
def test_the_public_surface_is_what_code_outside_uses(package: str) -> None:
    # A name nobody outside imports does not belong in `__all__`: the surface stays narrow.
    inside = ROOT.joinpath(*package.split("."))
    used = {
        name
        for path in production_files()
        if inside not in path.parents
        for module, name in module_imports(path)
        if module == package
    }
    assert set(importlib.import_module(package).__all__) == used


@pytest.mark.parametrize("package", PACKAGES)
def test_modules_inside_the_package_import_each_other_not_the_package(package: str) -> None:
    # Importing the package from inside it would run its `__init__` halfway: a hidden cycle.
    inside = ROOT.joinpath(*package.split("."))
    offenders = [
        str(path.relative_to(ROOT))
        for path in sorted(inside.glob("*.py"))
        if any(module == package for module, _ in module_imports(path))
    ]
    assert offenders == []
