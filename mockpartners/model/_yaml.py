"""YAML documents that remember where each key was written, so a profile error can name its line.

PyYAML accepts two things a profile must not hold: a key written twice in one mapping (the last one silently
wins) and aliases that expand a small file into billions of values (the "billion laughs": 24 s, 3 GB, then
MemoryError). Both are refused on the composed node graph, before anything is constructed.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import yaml

Location = tuple[str | int, ...]
_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_MERGE_TAG = "tag:yaml.org,2002:merge"

MAX_NODES = 100_000
"""Values a document may hold once its aliases are expanded: the largest built-in profile holds about 330."""
MAX_DEPTH = 64
"""Nesting a document may have (profiles nest six levels; reading deeper ones would exhaust the stack)."""


class RefusedDocument(ValueError):
    """Valid YAML that a profile must not be: a duplicate key, an alias bomb, an alias inside itself."""


@dataclass
class Document:
    """A parsed YAML mapping plus the line (1-based) of every key path in it."""

    source: str
    data: dict[str, Any]
    lines: dict[Location, int] = field(default_factory=dict)

    def line_of(self, location: Location) -> int | None:
        """The line of ``location`` or of its nearest written ancestor."""
        for length in range(len(location), -1, -1):
            line = self.lines.get(tuple(location[:length]))
            if line is not None:
                return line
        return None

    def has(self, location: Location) -> bool:
        return tuple(location) in self.lines

    def written_depth(self, location: Location) -> int:
        """How many leading parts of ``location`` this document writes (0: none of it)."""
        return next((length for length in range(len(location), 0, -1) if self.has(location[:length])), 0)


def parse(text: str, source: str) -> Document:
    """Parse ``text`` as a YAML mapping; raise ``ValueError`` with the line on any syntax problem."""
    node, data = _load(text, source)
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ValueError(f"{source}: expected a mapping of keys at the top, got {type(data).__name__}")
    lines: dict[Location, int] = {}
    if node is not None:
        _collect_lines(node, (), lines)
    return Document(source, data, lines)


def load_value(text: str, source: str) -> Any:
    """One YAML value (a ``--set`` value), refused like a document (:class:`RefusedDocument`)."""
    return _load(text, source)[1]


def _load(text: str, source: str) -> tuple[yaml.Node | None, Any]:
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None, None
        _refuse_unsafe(node, source)
        return node, loader.construct_document(node)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "unknown place"
        raise ValueError(f"{source}: {where}: not valid YAML: {error.problem}") from None
    except yaml.YAMLError as error:
        raise ValueError(f"{source}: not valid YAML: {error}") from None
    finally:
        loader.dispose()


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.MappingNode):
        return [child for pair in node.value for child in pair]
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    return []


def _refuse_unsafe(root: yaml.Node, source: str) -> None:
    """Count the values the document expands to, and its depth, each shared node (an alias target) once:
    linear in the file whatever its aliases, where constructing and validating it would take exponential
    time. Duplicate keys are refused on the way."""
    measured: dict[int, tuple[int, int]] = {}  # id(node) -> (values, depth) once expanded
    open_nodes: set[int] = set()
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, children_measured = stack.pop()
        if children_measured:
            open_nodes.discard(id(node))
            below = [measured[id(child)] for child in _children(node)]
            measured[id(node)] = (
                1 + sum(values for values, _ in below),
                1 + max((depth for _, depth in below), default=0),
            )
            _refuse_size(node, *measured[id(node)], source)
        elif id(node) in open_nodes:
            raise RefusedDocument(f"{source}: line {_line(node)}: an alias refers to the value holding it")
        elif id(node) not in measured:
            if isinstance(node, yaml.MappingNode):
                _refuse_duplicate_keys(node, source)
            open_nodes.add(id(node))
            stack.append((node, True))
            stack.extend((child, False) for child in _children(node))


def _refuse_size(node: yaml.Node, values: int, depth: int, source: str) -> None:
    if values > MAX_NODES:
        raise RefusedDocument(
            f"{source}: line {_line(node)}: its aliases (*name) expand to more than {MAX_NODES} values; "
            "a profile needs a few hundred (is it an alias bomb?)"
        )
    if depth > MAX_DEPTH:
        raise RefusedDocument(
            f"{source}: line {_line(node)}: nested more than {MAX_DEPTH} levels deep; a profile needs a few"
        )


def _refuse_duplicate_keys(node: yaml.MappingNode, source: str) -> None:
    """A key twice in one mapping is a mistake (the last would silently win); merge keys (``<<: *base``)
    keep their meaning: what the mapping writes itself overrides what it merges."""
    seen: dict[tuple[str, str], yaml.Node] = {}
    for key, _ in node.value:
        if not isinstance(key, yaml.ScalarNode) or key.tag == _MERGE_TAG:
            continue
        first = seen.setdefault((key.tag, key.value), key)
        if first is not key:
            raise RefusedDocument(
                f"{source}: line {_line(key)}: key {key.value!r} is written twice in one mapping "
                f"(lines {_line(first)} and {_line(key)}); keep one"
            )


def _line(node: yaml.Node) -> int:
    return int(node.start_mark.line) + 1


def _collect_lines(node: yaml.Node, location: Location, lines: dict[Location, int]) -> None:
    lines[location] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            key = key_node.value if isinstance(key_node, yaml.ScalarNode) else str(key_node.value)
            _collect_lines(value_node, (*location, key), lines)
            lines[(*location, key)] = key_node.start_mark.line + 1
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _collect_lines(item, (*location, index), lines)


def deep_merge(base: Mapping[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    """``base`` with ``override`` laid over it: mappings merge key by key, anything else replaces, except a
    mapping of list indexes laid over a list (``processors: {0: {delay: 5m}}``), which merges into those
    items as ``--set PARTNER.processors.0.delay=5m`` would."""
    merged = copy.deepcopy(dict(base))
    for key, value in override.items():
        current = merged.get(key)
        if isinstance(current, Mapping) and isinstance(value, Mapping):
            merged[key] = deep_merge(current, value)
        elif isinstance(current, list) and _indexes(value):
            merged[key] = _merged_items(key, current, value)
        else:
            merged[key] = copy.deepcopy(value)
    return merged


def _indexes(value: Any) -> bool:
    return isinstance(value, Mapping) and bool(value) and all(str(key).isdigit() for key in value)


def _merged_items(key: str, items: list[Any], override: Mapping[Any, Any]) -> list[Any]:
    merged = list(items)
    for index, value in override.items():
        position = int(index)
        if position >= len(merged):
            raise KeyError(f"{key}.{position}")
        item = merged[position]
        fits = isinstance(item, Mapping) and isinstance(value, Mapping)
        merged[position] = deep_merge(item, value) if fits else copy.deepcopy(value)
    return merged


def set_path(data: dict[str, Any], path: Sequence[str], value: Any) -> None:
    """Set ``data[a][b][c] = value`` for the dotted path a.b.c, creating mappings on the way.

    A numeric part indexes an existing list (``accounts.0.username``).
    """
    target: Any = data
    for position, part in enumerate(path):
        last = position == len(path) - 1
        if isinstance(target, list):
            if not part.isdigit() or int(part) >= len(target):
                raise KeyError(".".join(path[: position + 1]))
            if last:
                target[int(part)] = value
                return
            target = target[int(part)]
        elif isinstance(target, dict):
            if last:
                target[part] = value
                return
            if not isinstance(target.get(part), dict | list):
                target[part] = {}
            target = target[part]
        else:
            raise KeyError(".".join(path[: position + 1]))
