"""YAML bytes -> nodes that keep their line and column, safely, with every problem kept. Core module.

YAML is composed to nodes, never constructed to objects, so tags cannot build anything;
anchors, aliases and deep nesting are refused before they can grow. A reader of one kind of
file (a relief script, settings) subclasses `NodeReader` and says what to tell people.
"""

from __future__ import annotations

import difflib
import math
import re

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from .errors import Problem
from .printable import describe, first_control

MAX_FILE_BYTES = 1024 * 1024
MAX_DEPTH = 8

TAG = "tag:yaml.org,2002:"
_PLAIN_TAGS = {TAG + t for t in ("str", "int", "float", "bool", "null", "map", "seq")}
# Scalars that are the words as written where text is expected: `say: Yes` says "Yes", `title: On` is "On".
_WORD_TAGS = {TAG + t for t in ("str", "bool", "int", "float")}
_NUMBERS = yaml.constructor.SafeConstructor()  # stateless for plain int and float scalars
_RESOLVER = yaml.resolver.Resolver()
SHOWN_CHARS = 40
SYNTAX_HINT = "check the indentation and the ':' after each key near here"


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
    control_hint = "remove it: it would act on the screen instead of being read"
    syntax_message = "YAML syntax"
    allow_empty = False
    key_hints: dict[str, str] = {}  # noqa: RUF012 - read only: a hint for a known mistake of a key

    def __init__(self, path: str) -> None:
        self.path = path
        self.problems: list[Problem] = []
        self.warnings: list[Problem] = []
        self.text = ""

    def warn(self, where: Node, message: str, hint: str = "") -> None:
        mark = where.start_mark
        self.warnings.append(Problem(self.path, mark.line + 1, mark.column + 1, message, hint, "warning"))

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
        self.text = text
        loader: _Loader | None = None
        try:
            loader = _Loader(text)  # checks every character before anything is read
            root: Node | None = loader.get_single_node()
        except _Refused as e:
            self.problem(e.mark, e.message, e.hint or self.nested_hint)
            return None
        except yaml.reader.ReaderError as e:
            line = text.count("\n", 0, e.position) + 1
            col = e.position - (text.rfind("\n", 0, e.position) + 1) + 1
            self.problems.append(Problem(self.path, line, col, f"the file has a control character, "
                                         f"{describe(_char(e.character))}", self.control_hint))
            return None
        except yaml.MarkedYAMLError as e:
            what = (e.problem or e.context or "the YAML cannot be read").strip()
            mark = e.problem_mark or e.context_mark
            line_text = text.splitlines()[mark.line] if mark and mark.line < len(text.splitlines()) else ""
            self.problem(mark, f"{self.syntax_message}: {what}", self.syntax_hint(line_text) or SYNTAX_HINT)
            return None
        except yaml.YAMLError as e:
            self.problem(None, f"{self.syntax_message}: {e}", self.unreadable_hint)
            return None
        finally:
            if loader is not None:
                loader.dispose()
        if root is None and not self.allow_empty:
            self.problem(None, "the file is empty", self.empty_hint)
        elif root is not None:
            self._check_tags(root)
        return root

    def syntax_hint(self, line: str) -> str:
        """A hint for a YAML syntax error on `line` more telling than the general one, or ''."""
        return ""

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
                self.problem(key, f"{what} has an unknown key '{shown(word)}'",
                             self.key_hints.get(word) or did_you_mean(word, allowed))
            else:
                out[word] = value
        return out

    def words(self, node: Node) -> str | None:
        """A scalar's words as written (`Yes`, `On` and `30` too), or None for a list, mapping or nothing."""
        if not isinstance(node, ScalarNode) or node.tag not in _WORD_TAGS or not node.value.strip():
            return None
        return str(node.value)

    def control_free(self, node: Node, text: str, what: str) -> bool:
        """False, with a problem saying which character, when `text` holds a control character."""
        char = first_control(text)
        if char is not None:
            self.problem(node, f"{what} has a control character, {describe(char)}", self.control_hint)
        return char is None

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


def number(node: Node) -> float | None:
    """A YAML 1.1 int or float scalar (1:30 is 90; "30" in quotes is 30 too), or None for anything else.

    An integer too long for Python to read (over 4300 digits) is infinite: out of every range.
    """
    if not isinstance(node, ScalarNode) or node.tag not in (TAG + "int", TAG + "float", TAG + "str"):
        return None
    tag = node.tag
    if tag == TAG + "str" and node.style in ("'", '"'):
        tag = _RESOLVER.resolve(ScalarNode, node.value.strip(), (True, False))  # type: ignore[no-untyped-call]
    scalar = ScalarNode(tag, node.value.strip())
    try:
        if tag == TAG + "int":
            return float(_NUMBERS.construct_yaml_int(scalar))
        if tag == TAG + "float":
            return float(_NUMBERS.construct_yaml_float(scalar))
    except (ValueError, OverflowError):
        return math.inf
    return None


def shown(value: str, limit: int = SHOWN_CHARS) -> str:
    """A value from a file as a message quotes it: one line, at most `limit` characters."""
    one_line = re.sub(r"\s+", " ", value)
    return one_line if len(one_line) <= limit else one_line[:limit - 1] + "…"


def did_you_mean(word: str, allowed: tuple[str, ...]) -> str:
    close = difflib.get_close_matches(word, allowed, n=1, cutoff=0.6)
    keys = f"the keys allowed here: {', '.join(allowed)}"
    return f"did you mean '{close[0]}'? {keys}" if close else keys


def _char(character: int | str) -> str:
    """PyYAML's ReaderError holds the character's code for text, the byte for bytes."""
    return chr(character) if isinstance(character, int) else character[:1]
