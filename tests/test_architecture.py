"""The package's layers, checked on its imports (TYPE_CHECKING ones and imports inside functions included).

Arrows go down only: no import cycle between folders; protocol adapters and processors never import the
partner's composition root (the kernel); the suite never imports the web layer (the admin API, and later
the dashboard, are assembled by the runtime in ``app``). docs/architecture.md draws the same picture.
"""

from __future__ import annotations

import ast
from collections import defaultdict
from collections.abc import Iterator
from functools import cache
from pathlib import Path

PACKAGE = Path(__file__).parent.parent / "mockpartners"
LAYERS = ("model", "infra", "scenarios", "ports", "outbound", "protocols", "processors", "kernel", "app")
"""Top-level folders from the bottom up: each may import only those before it."""


def _module(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


@cache
def _modules() -> dict[str, Path]:
    return {_module(path): path for path in PACKAGE.rglob("*.py")}


def _imported(module: str, path: Path) -> Iterator[str]:
    """The package's modules that ``module`` imports, wherever the import statement stands."""
    modules = _modules()
    package = module.split(".") if path.name == "__init__.py" else module.split(".")[:-1]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names if alias.name in modules)
        elif isinstance(node, ast.ImportFrom):
            base = package[: len(package) - node.level + 1] if node.level else []
            target = ".".join([*base, *([node.module] if node.module else [])])
            named = [f"{target}.{alias.name}" for alias in node.names]
            found = [name for name in named if name in modules]
            yield from found or ([target] if target in modules else [])


def _folder(module: str) -> str:
    path = _modules()[module]
    return module if path.name == "__init__.py" else module.rpartition(".")[0]


@cache
def _imports() -> dict[str, set[str]]:
    return {module: set(_imported(module, path)) - {module} for module, path in _modules().items()}


def _layer(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[1] in LAYERS else None


def test_no_import_cycle_between_folders() -> None:
    edges: dict[str, set[str]] = defaultdict(set)
    for module, targets in _imports().items():
        for target in targets:
            if _folder(module) != _folder(target):
                edges[_folder(module)].add(_folder(target))
    cycles = [
        f"{folder} -> {target} -> ... -> {folder}"
        for folder, targets in edges.items()
        for target in targets
        if folder in _reachable(edges, target)
    ]
    assert cycles == []


def _reachable(edges: dict[str, set[str]], start: str) -> set[str]:
    seen, pending = set(), [start]
    while pending:
        folder = pending.pop()
        for target in edges.get(folder, ()):
            if target not in seen:
                seen.add(target)
                pending.append(target)
    return seen


def test_layers_import_only_layers_below_them() -> None:
    upward = [
        f"{module} imports {target}"
        for module, targets in _imports().items()
        for target in targets
        if (mine := _layer(module)) is not None
        and (theirs := _layer(target)) is not None
        and LAYERS.index(theirs) > LAYERS.index(mine)
    ]
    assert upward == []


def test_nothing_inside_imports_the_package_root() -> None:
    """The root only re-exports the public API: a layer importing it would import every layer."""
    assert [
        module for module, targets in _imports().items() if "mockpartners" in targets and _layer(module)
    ] == []


def test_adapters_and_processors_never_import_the_partner() -> None:
    offenders = [
        f"{module} imports {target}"
        for module, targets in _imports().items()
        if _layer(module) in ("protocols", "processors")
        for target in targets
        if _layer(target) == "kernel"
    ]
    assert offenders == []


def test_the_suite_never_imports_the_web_layer() -> None:
    web = [target for target in _imports()["mockpartners.kernel.suite"] if _layer(target) == "app"]
    assert web == []
