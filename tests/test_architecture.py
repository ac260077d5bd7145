"""The house's shape, checked from the source: imports run one way, the sandbox stays out of the bot's
path, the deciding core does no I/O, and no module imports itself back round a cycle.

The import graph is read with `ast`, never by importing. Every import statement counts: at module
level, inside a function, and under `if TYPE_CHECKING:` (a cycle hidden from the interpreter is
still one a reader has to untangle).
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("bot", "webhooks")

# The deciding core: plain values in, a decision out. The loop's pure decisions join it here.
PURE_CORE = (
    "bot.gate",
    "bot.suppression",
    "bot.proposals",
    "bot.verdict",
    "bot.risk",
    "bot.confidence",
    "bot.playbook",
    "bot.commands",
    "bot.config",
    "bot.revert_decision",
    "bot.deciding",
)
# What the core may not import, itself or through any module of ours it imports.
IO_MODULES = frozenset(
    {
        "asyncio",
        "httpx",
        "githubkit",
        "sqlalchemy",
        "starlette",
        "uvicorn",
        "aiosqlite",
        "asyncpg",
        "socket",
        "subprocess",
    }
)

SANDBOX = "bot.sandbox"
# Who may import the sandbox, apart from the sandbox itself, the benchmarks and the tests: the demo
# and its Stage, which play the loop against it.
SANDBOX_USERS = ("webhooks.demo",)
# `evolve-bot sandbox serve` is mounted on the `evolve-bot` command by webhooks/cli.py, the entry
# point that composes every command: it may import the sandbox's CLI, and nothing else of it.
# The intake itself (webhooks.app and what it imports) never reaches the sandbox; see
# test_the_intake_never_reaches_the_sandbox.
SANDBOX_CLI_MOUNT = ("webhooks.cli", "bot.sandbox.cli")
INTAKE = ("webhooks.app", "webhooks.routes", "webhooks.worker")


# --- the graph --------------------------------------------------------------------------------


def module_files(root: Path = ROOT, packages: Iterable[str] = PACKAGES) -> dict[str, Path]:
    """Every module of `packages` under `root`, by dotted name (a package by its own name)."""
    found: dict[str, Path] = {}
    for package in packages:
        for path in sorted((root / package).rglob("*.py")):
            parts = path.relative_to(root).with_suffix("").parts
            if parts[-1] == "__init__":
                parts = parts[:-1]
            found[".".join(parts)] = path
    return found


def imported_names(name: str, path: Path) -> Iterator[str]:
    """The dotted names `name`'s file imports, relative imports resolved, wherever they stand."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                module = ".".join([*base, *([node.module] if node.module else [])])
            else:
                module = node.module or ""
            yield module
            # `from bot import proposals` imports the module bot.proposals.
            yield from (f"{module}.{alias.name}" for alias in node.names)


def import_graph(modules: Mapping[str, Path]) -> dict[str, dict[str, set[str]]]:
    """For each module: the modules of ours it imports (`ours`), and the top-level names of the
    rest (`external`)."""
    graph: dict[str, dict[str, set[str]]] = {}
    for name, path in modules.items():
        ours: set[str] = set()
        external: set[str] = set()
        for imported in imported_names(name, path):
            if imported in modules:
                ours.add(imported)
            elif imported.split(".")[0] in {m.split(".")[0] for m in modules}:
                continue  # `from bot.x import SomeName`: the module bot.x is counted already
            else:
                external.add(imported.split(".")[0])
        # A module's own packages are being imported already when it runs (`from bot.sandbox
        # import shapes` inside bot.sandbox.rest): no edge back to them.
        ancestors = {".".join(name.split(".")[:i]) for i in range(1, name.count(".") + 1)}
        graph[name] = {"ours": ours - ancestors - {name}, "external": external}
    return graph


def reachable(graph: Mapping[str, Mapping[str, set[str]]], start: str) -> dict[str, list[str]]:
    """Every module `start` imports, directly or not, with one import path to it."""
    paths = {start: [start]}
    todo = [start]
    while todo:
        current = todo.pop()
        for nxt in sorted(graph[current]["ours"]):
            if nxt not in paths:
                paths[nxt] = [*paths[current], nxt]
                todo.append(nxt)
    return paths


def cycles(graph: Mapping[str, Mapping[str, set[str]]]) -> dict[frozenset[str], list[str]]:
    """Each group of modules that import one another round a cycle, with one such cycle's path."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[frozenset[str]] = []

    def connect(node: str) -> None:  # Tarjan's strongly connected components
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph[node]["ours"]):
            if nxt not in index:
                connect(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            group: set[str] = set()
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.add(member)
                if member == node:
                    break
            if len(group) > 1:
                groups.append(frozenset(group))

    for node in sorted(graph):
        if node not in index:
            connect(node)
    found = {}
    for group in groups:
        start = min(group)
        inside = {name: {"ours": graph[name]["ours"] & group} for name in group}
        found[group] = min(
            ([*path, start] for target, path in reachable(inside, start).items() if start in inside[target]["ours"]),
            key=len,
        )
    return found


GRAPH = import_graph(module_files())


def within(name: str, package: str) -> bool:
    return name == package or name.startswith(package + ".")


# --- the checks -------------------------------------------------------------------------------


def test_bot_never_imports_webhooks() -> None:
    offenders = {
        name: sorted(m for m in GRAPH[name]["ours"] if within(m, "webhooks"))
        for name in GRAPH
        if within(name, "bot") and any(within(m, "webhooks") for m in GRAPH[name]["ours"])
    }
    assert offenders == {}


def test_only_the_demo_benchmarks_and_tests_import_the_sandbox() -> None:
    offenders = {}
    for name, edges in GRAPH.items():
        if within(name, SANDBOX) or any(within(name, user) for user in SANDBOX_USERS):
            continue
        imported = {m for m in edges["ours"] if within(m, SANDBOX)}
        if name == SANDBOX_CLI_MOUNT[0]:
            imported.discard(SANDBOX_CLI_MOUNT[1])
        if imported:
            offenders[name] = sorted(imported)
    assert offenders == {}


def test_the_intake_never_reaches_the_sandbox() -> None:
    reached = [
        " -> ".join(path)
        for start in INTAKE
        for target, path in reachable(GRAPH, start).items()
        if within(target, SANDBOX)
    ]
    assert reached == []


def test_the_pure_core_imports_no_io() -> None:
    assert set(PURE_CORE) <= set(GRAPH), sorted(set(PURE_CORE) - set(GRAPH))
    offenders = [
        f"{' -> '.join(path)} imports {', '.join(sorted(GRAPH[target]['external'] & IO_MODULES))}"
        for module in PURE_CORE
        for target, path in reachable(GRAPH, module).items()
        if GRAPH[target]["external"] & IO_MODULES
    ]
    assert offenders == []


def test_no_import_cycles() -> None:
    found = {" -> ".join(path): sorted(group) for group, path in cycles(GRAPH).items()}
    assert found == {}


def test_tests_share_helpers_not_each_other() -> None:
    """Tests import tests/helpers/ and get fixtures from conftest.py; never a test module or conftest."""
    tests = module_files(ROOT, ["tests"])
    offenders = {
        name: sorted(bad)
        for name, path in tests.items()
        if (bad := {m for m in imported_names(name, path) if m in tests and (m.split(".")[-1].startswith("test_") or m.split(".")[-1].startswith("conftest"))})
    }
    assert offenders == {}


def test_every_module_has_a_one_line_docstring() -> None:
    missing = []
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            if "migrations" in path.parts:
                continue
            doc = ast.get_docstring(ast.parse(path.read_text()))
            if not doc or not doc.splitlines()[0].strip():
                missing.append(str(path.relative_to(ROOT)))
    assert missing == []
