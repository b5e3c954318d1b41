"""Which modules of our packages import which, read from the source (nothing is imported).

Each import is told by when it runs: `load` (module body, class bodies, module-level `if` and
`try`), `call` (inside a function: lazy, run when called) or `typing` (under
`if TYPE_CHECKING:`, never run). A cycle of `load` imports fails at import time in some
orders; one closed by `call` imports works but hides a tangle that lazy imports were put in
to dodge; `typing` imports are annotations only."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

REPO_ROOT = Path(__file__).resolve().parents[2]
When = Literal["load", "call", "typing"]


@dataclass(frozen=True)
class Import:
    module: str  # the module that imports
    target: str  # the module (or package) it names, resolved against our tree
    line: int
    when: When


def modules(*packages: str) -> dict[str, Path]:
    """Dotted name -> file for every module under the given top-level packages."""
    found: dict[str, Path] = {}
    for package in packages:
        for path in sorted((REPO_ROOT / package).rglob("*.py")):
            parts = list(path.relative_to(REPO_ROOT).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            found[".".join(parts)] = path
    return found


def imports(name: str, path: Path, known: dict[str, Path]) -> Iterator[Import]:
    """Every import in one module, with its target resolved to a module of `known` where
    it names one (`from pkg import mod` is an import of pkg.mod), else the name as written."""
    is_package = path.name == "__init__.py"
    for node, when in _walk(ast.parse(path.read_text(), str(path)).body, "load"):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield Import(name, alias.name, node.lineno, when)
            continue
        base = _absolute(name, is_package, node.module, node.level)
        for alias in node.names:
            candidate = f"{base}.{alias.name}"
            yield Import(name, candidate if candidate in known else base, node.lineno, when)


def graph(known: dict[str, Path], *whens: When) -> dict[str, set[str]]:
    """Module -> the modules of `known` it imports by imports of the given kinds. Importing
    a.b.c also runs a/__init__ and a/b/__init__, so a module depends on their code too."""
    edges: dict[str, set[str]] = {name: set() for name in known}
    for name, path in known.items():
        for imp in imports(name, path, known):
            if imp.when not in whens:
                continue
            parts = imp.target.split(".")
            for end in range(1, len(parts) + 1):
                target = ".".join(parts[:end])
                if target in known and target != name and not name.startswith(target + "."):
                    edges[name].add(target)
    return edges


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan's algorithm,
    iterative: the graph is a few hundred modules deep at worst), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    for root in sorted(graph):
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return sorted(found)


Statement = ast.Import | ast.ImportFrom


def _walk(body: list[ast.stmt], when: When) -> Iterator[tuple[Statement, When]]:
    for node in body:
        if isinstance(node, ast.Import | ast.ImportFrom):
            yield node, when
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            yield from _walk(node.body, "call" if when == "load" else when)
        elif isinstance(node, ast.If) and _is_type_checking(node.test):
            yield from _walk(node.body, "typing")
            yield from _walk(node.orelse, when)
        else:
            for field in ("body", "orelse", "finalbody", "handlers", "cases"):
                for child in getattr(node, field, []):
                    yield from _walk(_statements(child), when)


def _statements(node: ast.AST) -> list[ast.stmt]:
    # try handlers and match cases hold their statements in .body; plain statements are
    # walked as a one-statement body.
    if isinstance(node, ast.ExceptHandler | ast.match_case):
        return node.body
    return [node] if isinstance(node, ast.stmt) else []


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _absolute(name: str, is_package: bool, module: str | None, level: int) -> str:
    if level == 0:
        return module or ""
    parts = name.split(".")
    base = parts if is_package else parts[:-1]
    base = base[: len(base) - (level - 1)]
    return ".".join([*base, module] if module else base)
