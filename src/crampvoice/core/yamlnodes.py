"""YAML bytes -> nodes that keep their line and column, safely, with every problem kept. Core module.

YAML is composed to nodes, never constructed to objects, so tags cannot build anything;
anchors, aliases and deep nesting are refused before they can grow. A reader of one kind of
file (a relief script, settings) subclasses `NodeReader` and says what to tell people.
"""

from __future__ import annotations

import difflib

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from .errors import Problem

MAX_FILE_BYTES = 1024 * 1024
MAX_DEPTH = 8

TAG = "tag:yaml.org,2002:"
_PLAIN_TAGS = {TAG + t for t in ("str", "int", "float", "bool", "null", "map", "seq")}


class _Refused(Exception):
    def __init__(self, message: str, mark: yaml.Mark | None, hint: str = "") -> None:
        super().__init__(message)
        self.message, self.mark, self.hint = message, mark, hint


class _Loader(yaml.SafeLoader):
    """SafeLoader's composer with anchors, aliases and deep nesting refused."""

    _depth = 0

    def compose_node(self, parent: Node | None, index: int) -> Node | None:
        event = self.peek_event()  # type: ignore[no-untyped-call]
        if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None):
            raise _Refused("anchors and aliases (& and *) are not allowed", event.start_mark,
                           "write each value out in full")
        self._depth += 1
        if self._depth > MAX_DEPTH:
            raise _Refused(f"the file is nested more than {MAX_DEPTH} levels deep", event.start_mark)
        try:
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


class NodeReader:
    """Collects `Problem`s at their line:col while a subclass turns nodes into its model."""

    # What to tell people, in the words of the kind of file being read.
    too_large_hint = ""
    nested_hint = ""
    unreadable_hint = ""
    empty_hint = ""
    tag_hint = ""

    def __init__(self, path: str) -> None:
        self.path = path
        self.problems: list[Problem] = []

    def problem(self, where: Node | yaml.Mark | None, message: str, hint: str = "") -> None:
        mark = where.start_mark if isinstance(where, Node) else where
        line, col = (mark.line + 1, mark.column + 1) if mark is not None else (1, 1)
        self.problems.append(Problem(self.path, line, col, message, hint))

    def compose(self, data: bytes) -> Node | None:
        """The file's root node with its tags checked, or None (and a problem) when it cannot be read."""
        if len(data) > MAX_FILE_BYTES:
            self.problem(None, f"the file is larger than {MAX_FILE_BYTES // 1024} KiB", self.too_large_hint)
            return None
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as e:
            line = data.count(b"\n", 0, e.start) + 1
            col = e.start - (data.rfind(b"\n", 0, e.start) + 1) + 1
            self.problems.append(Problem(self.path, line, col, "the file is not UTF-8 text",
                                         "save it as UTF-8 text from a plain-text editor"))
            return None
        loader = _Loader(text)
        try:
            root: Node | None = loader.get_single_node()
        except _Refused as e:
            self.problem(e.mark, e.message, e.hint or self.nested_hint)
            return None
        except yaml.MarkedYAMLError as e:
            what = (e.problem or e.context or "the YAML cannot be read").strip()
            self.problem(e.problem_mark or e.context_mark, f"YAML syntax: {what}",
                         "check the indentation and the ':' after each key near here")
            return None
        except yaml.YAMLError as e:
            self.problem(None, f"YAML syntax: {e}", self.unreadable_hint)
            return None
        finally:
            loader.dispose()
        if root is None:
            self.problem(None, "the file is empty", self.empty_hint)
        else:
            self._check_tags(root)
        return root

    def mapping(self, node: Node, what: str, allowed: tuple[str, ...]) -> dict[str, Node] | None:
        """A mapping's values by key; unknown and repeated keys are problems (with a "did you mean")."""
        if not isinstance(node, MappingNode):
            self.problem(node, f"{what} should be a mapping of 'key: value' lines")
            return None
        out: dict[str, Node] = {}
        for key, value in node.value:
            if not isinstance(key, ScalarNode):
                self.problem(key, f"{what} has a key that is not a plain word")
                continue
            word = key.value
            if word in out:
                self.problem(key, f"{what} has '{word}' twice", "keep one of them")
            elif word not in allowed:
                self.problem(key, f"{what} has an unknown key '{word}'", did_you_mean(word, allowed))
            else:
                out[word] = value
        return out

    def _check_tags(self, node: Node) -> None:
        if node.tag not in _PLAIN_TAGS:
            tag = node.tag.replace(TAG, "!!")
            self.problem(node, f"the tag '{tag}' is not allowed", self.tag_hint)
        elif isinstance(node, SequenceNode):
            for item in node.value:
                self._check_tags(item)
        elif isinstance(node, MappingNode):
            for key, value in node.value:
                self._check_tags(key)
                self._check_tags(value)


def did_you_mean(word: str, allowed: tuple[str, ...]) -> str:
    close = difflib.get_close_matches(word, allowed, n=1, cutoff=0.6)
    keys = f"the keys allowed here: {', '.join(allowed)}"
    return f"did you mean '{close[0]}'? {keys}" if close else keys
