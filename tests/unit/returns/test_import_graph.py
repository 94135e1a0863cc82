"""The bank-return reader and the reconciliation modules import each other in one
direction only: no module imports (even inside a function) one that imports it back."""

from __future__ import annotations

import ast
from pathlib import Path

import ledger

ROOT = Path(ledger.__file__).parent
AREAS = ("ledger.files.returns", "ledger.reconciliation", "ledger.db.reconciliation")


def _modules() -> dict[str, Path]:
    found = {}
    for path in ROOT.rglob("*.py"):
        name = ".".join(("ledger", *path.relative_to(ROOT).with_suffix("").parts))
        found[name.removesuffix(".__init__")] = path
    return found


def _imports(path: Path, modules: dict[str, Path]) -> set[str]:
    out: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            for alias in node.names:
                full = f"{node.module}.{alias.name}"
                out.add(full if full in modules else node.module)
        elif isinstance(node, ast.Import):
            out.update(alias.name for alias in node.names)
    return {m for m in out if m in modules}


def test_no_module_of_the_returns_and_reconciliation_areas_is_in_an_import_cycle() -> None:
    modules = _modules()
    graph = {name: _imports(path, modules) - {name} for name, path in modules.items()}
    ours = [name for name in graph if name.startswith(AREAS)]
    assert len(ours) > 15
    for start in ours:
        seen: set[str] = set()
        stack = list(graph[start])
        while stack:
            name = stack.pop()
            assert name != start, f"{start} imports itself back (through {sorted(seen)})"
            if name not in seen:
                seen.add(name)
                stack.extend(graph[name])
