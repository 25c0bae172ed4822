"""ARCHITECTURE.md's dependency rules, checked on the real import graph of ``src/argosy``.

Every ``import``/``from ... import`` of every module counts, including the lazy
ones inside functions (they are dependencies too). The rules:

* ``engine`` (pure logic) imports nothing from the services or the interfaces;
* ``server`` does not import ``controller`` (both use ``appstate``);
* nothing but ``devcluster`` itself and the CLI's ``dev`` commands imports ``devcluster``;
* the packages form no import cycle (a layered architecture, as an import-linter
  "layers" contract would check).
"""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

SRC = Path(__file__).resolve().parents[2] / "src"
SERVICES_AND_INTERFACES = {
    "kube", "controller", "server", "repo", "cli", "devcluster", "appstate", "appset", "imageupdater",
    "sandbox",
}  # fmt: skip


def _module_name(path: Path) -> str:
    return ".".join(path.relative_to(SRC).with_suffix("").parts).removesuffix(".__init__")


def _imports() -> dict[str, set[str]]:
    """module -> the ``argosy`` modules it imports."""
    graph: dict[str, set[str]] = defaultdict(set)
    for path in (SRC / "argosy").rglob("*.py"):
        module = _module_name(path)
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            else:
                continue
            graph[module].update(n for n in names if n == "argosy" or n.startswith("argosy."))
    return graph


def _package(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "argosy"


GRAPH = _imports()


def _violations(
    rule: str, source: str, forbidden: set[str], allowed_modules: tuple[str, ...] = ()
) -> list[str]:
    out = []
    for module, targets in sorted(GRAPH.items()):
        if _package(module) != source and source != "*":
            continue
        if module.startswith(allowed_modules) and allowed_modules:
            continue
        for target in sorted(targets):
            if _package(target) in forbidden and _package(module) not in forbidden:
                out.append(f"{rule}: {module} imports {target}")
    return out


def test_the_graph_is_read() -> None:
    assert "argosy.engine.tracking" in GRAPH and "argosy.controller.manager" in GRAPH
    assert "argosy.appstate.pipeline" in GRAPH["argosy.controller.manager"]
    # The checker sees real edges (the CLI does import the server), so an empty answer means something.
    assert _violations("probe", "cli", {"server"})


def test_engine_imports_no_service_or_interface() -> None:
    assert _violations("engine is pure", "engine", SERVICES_AND_INTERFACES) == []


def test_server_does_not_import_controller() -> None:
    assert _violations("server and controller share appstate", "server", {"controller"}) == []


def test_only_devcluster_and_the_dev_commands_import_devcluster() -> None:
    found = _violations("dev tooling stays out of production code", "*", {"devcluster"}, ("argosy.cli.dev",))
    assert found == []


def test_packages_form_no_import_cycle() -> None:
    edges: dict[str, set[str]] = defaultdict(set)
    for module, targets in GRAPH.items():
        for target in targets:
            if _package(target) != _package(module):
                edges[_package(module)].add(_package(target))
    cycles: list[list[str]] = []

    def visit(node: str, stack: list[str]) -> None:
        for nxt in sorted(edges[node]):
            if nxt in stack:
                cycles.append([*stack[stack.index(nxt) :], nxt])
            elif len(stack) < len(edges) + 1:
                visit(nxt, [*stack, nxt])

    for start in sorted(edges):
        visit(start, [start])
    assert cycles == [], "package import cycles: " + "; ".join(" -> ".join(c) for c in cycles)
