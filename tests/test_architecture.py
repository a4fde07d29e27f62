"""The house rules a tool can check: no package cycles, no exemptions, commits and queries where
they belong, files of a readable size."""

from __future__ import annotations

import ast
import configparser
from collections import defaultdict
from pathlib import Path

import grimp
import pytest

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "src" / "yiyang"

# Where a transaction may end: the request's session dependency, the unit of work of the
# worker, ingest and CLI, the timer runner's one-transaction-per-timer loop.
COMMIT_EDGES = {
    "db.py",
    "web/deps.py",
    "cli.py",
    "jobs/timer_runner.py",
    "jobs/runner.py",
    "jobs/context.py",
    "migrations/env.py",
}
# Queries outside a repository: infrastructure without data scope that is its own repository
# (timers and jobs, events and the outbox, the ports' logs), the demo generator, migrations
# and the CLI's one-off checks.
SELECT_ALLOWED_PREFIXES = ("demo/", "migrations/", "jobs/", "events/", "ports/")
SELECT_ALLOWED = {
    "cli.py",
    "orders/seed.py",
}
MAX_LINES = 500


def _product_files() -> list[Path]:
    return sorted(p for p in SRC.rglob("*.py") if "migrations/versions" not in p.as_posix())


def _rel(path: Path) -> str:
    return path.relative_to(SRC).as_posix()


def _cycles(graph: grimp.ImportGraph, package: str) -> list[tuple[str, ...]]:
    """Cycles among the direct children of a package (each child with everything under it)."""
    children = sorted(graph.find_children(package))
    if len(children) < 2:
        return []
    owner = {}
    for child in children:
        owner[child] = child
        for module in graph.find_descendants(child):
            owner[module] = child
    edges: dict[str, set[str]] = defaultdict(set)
    for module, child in owner.items():
        for imported in graph.find_modules_directly_imported_by(module):
            target = owner.get(imported)
            if target is not None and target != child:
                edges[child].add(target)
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[tuple[str, ...]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(edges[node]):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(tuple(sorted(component)))

    for child in children:
        if child not in index:
            visit(child)
    return found


@pytest.fixture(scope="module")
def graph() -> grimp.ImportGraph:
    return grimp.build_graph("yiyang")


def test_no_package_depends_on_itself_through_a_cycle(graph: grimp.ImportGraph) -> None:
    nested = (m for m in graph.modules if m.startswith("yiyang.") and graph.find_children(m))
    packages = ["yiyang", *sorted(nested)]
    cycles = {p: c for p in packages if (c := _cycles(graph, p))}
    assert cycles == {}


def test_import_contracts_have_no_exemptions() -> None:
    config = configparser.ConfigParser()
    config.read(ROOT / ".importlinter")
    exempted = [s for s in config.sections() if config.has_option(s, "ignore_imports")]
    assert exempted == []
    assert any(config.get(s, "type", fallback="") == "layers" for s in config.sections())


def _savepoints(tree: ast.AST) -> set[str]:
    """Names bound to `session.begin_nested()`: committing one only releases a savepoint."""
    return {
        target.id
        for node in ast.walk(tree)
        if isinstance(node, ast.Assign)
        and isinstance(node.value, ast.Call)
        and isinstance(node.value.func, ast.Attribute)
        and node.value.func.attr == "begin_nested"
        for target in node.targets
        if isinstance(target, ast.Name)
    }


def _calls(path: Path, name: str, attribute: bool) -> list[int]:
    tree = ast.parse(path.read_text(), filename=str(path))
    savepoints = _savepoints(tree)
    lines = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        if attribute and isinstance(func, ast.Attribute) and func.attr == name:
            receiver = func.value
            if not (isinstance(receiver, ast.Name) and receiver.id in savepoints):
                lines.append(node.lineno)
        if not attribute and isinstance(func, ast.Name) and func.id == name:
            lines.append(node.lineno)
    return lines


def test_only_the_edges_commit() -> None:
    offenders = {
        _rel(p): lines
        for p in _product_files()
        if _rel(p) not in COMMIT_EDGES and (lines := _calls(p, "commit", attribute=True))
    }
    assert offenders == {}


def test_queries_live_in_repositories() -> None:
    offenders = {
        rel: lines
        for p in _product_files()
        if not (rel := _rel(p)).endswith("repository.py")
        and not rel.startswith(SELECT_ALLOWED_PREFIXES)
        and rel not in SELECT_ALLOWED
        and (lines := _calls(p, "select", attribute=False))
    }
    assert offenders == {}


def test_allow_lists_name_only_files_that_still_need_them() -> None:
    stale = sorted(
        rel
        for rel in SELECT_ALLOWED
        if not (SRC / rel).exists() or not _calls(SRC / rel, "select", attribute=False)
    )
    stale += sorted(
        rel
        for rel in COMMIT_EDGES
        if not (SRC / rel).exists() or not _calls(SRC / rel, "commit", attribute=True)
    )
    assert stale == []


def test_no_product_file_is_too_long_to_read() -> None:
    long_files = {
        _rel(p): n for p in _product_files() if (n := len(p.read_text().splitlines())) > MAX_LINES
    }
    assert long_files == {}
