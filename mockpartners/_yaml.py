"""YAML documents that remember where each key was written, so a profile error can name its line."""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import yaml

Location = tuple[str | int, ...]
_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


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


def parse(text: str, source: str) -> Document:
    """Parse ``text`` as a YAML mapping; raise ``ValueError`` with the line on any syntax problem."""
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else None
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "unknown place"
        raise ValueError(f"{source}: {where}: not valid YAML: {error.problem}") from None
    except yaml.YAMLError as error:
        raise ValueError(f"{source}: not valid YAML: {error}") from None
    finally:
        loader.dispose()
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ValueError(f"{source}: expected a mapping of keys at the top, got {type(data).__name__}")
    lines: dict[Location, int] = {}
    if node is not None:
        _collect_lines(node, (), lines)
    return Document(source, data, lines)


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
    """``base`` with ``override`` laid over it: mappings merge key by key, anything else replaces."""
    merged = copy.deepcopy(dict(base))
    for key, value in override.items():
        current = merged.get(key)
        if isinstance(current, Mapping) and isinstance(value, Mapping):
            merged[key] = deep_merge(current, value)
        else:
            merged[key] = copy.deepcopy(value)
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
