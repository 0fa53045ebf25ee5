"""Relief-script YAML text -> `Script`, or every problem with its line and column.

Core module: it is handed bytes and a display path, and reads no file itself.
YAML is composed to nodes (never constructed to objects), so tags cannot build
anything; anchors, aliases and deep nesting are refused before they can grow.
`Any` stops here: nothing past this module sees a YAML node.
"""

from __future__ import annotations

import dataclasses
import difflib
import math
from collections.abc import Callable
from typing import TypeVar

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from .errors import Problem, ScriptError
from .script import (
    FORMAT_VERSION,
    MAX_HOLD_S,
    MAX_SETS,
    MIN_HOLD_S,
    RATE_BOUNDS_WPM,
    Answer,
    Kind,
    Script,
    Step,
    Then,
)

MAX_FILE_BYTES = 1024 * 1024
MAX_STEPS = 1000
MAX_DEPTH = 8
MAX_TEXT_CHARS = 1000

_TAG = "tag:yaml.org,2002:"
_PLAIN_TAGS = {_TAG + t for t in ("str", "int", "float", "bool", "null", "map", "seq")}
TOP_KEYS = ("crampvoice", "title", "muscle", "safety", "voice", "rate", "steps")
KIND_KEYS = tuple(k.value for k in Kind)
STEP_KEYS = (*KIND_KEYS, "hold", "repeat", "rest", "sides", "yes", "no", "default", "wait")
_T = TypeVar("_T")
_NUMBERS = yaml.constructor.SafeConstructor()  # stateless for plain int and float scalars


class _Refused(Exception):
    def __init__(self, message: str, mark: yaml.Mark | None, hint: str) -> None:
        super().__init__(message)
        self.message, self.mark, self.hint = message, mark, hint


class _Loader(yaml.SafeLoader):
    """SafeLoader's composer with anchors, aliases and deep nesting refused."""

    _depth = 0

    def compose_node(self, parent: Node | None, index: int) -> Node | None:
        event = self.peek_event()  # type: ignore[no-untyped-call]
        if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None):
            raise _Refused(
                "anchors and aliases (& and *) are not allowed",
                event.start_mark,
                "write each value out in full",
            )
        self._depth += 1
        if self._depth > MAX_DEPTH:
            raise _Refused(
                f"the file is nested more than {MAX_DEPTH} levels deep",
                event.start_mark,
                "a relief script is a mapping with a list of steps; see 'crampvoice new'",
            )
        try:
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


def parse_script(data: bytes, path: str, name: str = "") -> Script:
    """Build a Script from a file's bytes, or raise ScriptError with every problem."""
    return _Reader(path).read(data, name)


class _Reader:
    def __init__(self, path: str) -> None:
        self.path = path
        self.problems: list[Problem] = []

    def problem(self, where: Node | yaml.Mark | None, message: str, hint: str = "") -> None:
        mark = where.start_mark if isinstance(where, Node) else where
        line, col = (mark.line + 1, mark.column + 1) if mark is not None else (1, 1)
        self.problems.append(Problem(self.path, line, col, message, hint))

    def read(self, data: bytes, name: str) -> Script:
        root = self._compose(data)
        if root is not None:
            self._check_tags(root)
        script = self._script(root, name) if root is not None else None
        if self.problems or script is None:
            raise ScriptError(self.problems)
        return script

    # -- text to nodes -------------------------------------------------------

    def _compose(self, data: bytes) -> Node | None:
        if len(data) > MAX_FILE_BYTES:
            self.problem(None, f"the file is larger than {MAX_FILE_BYTES // 1024} KiB",
                         "a relief script is a short text file; check that this is the right file")
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
            self.problem(e.mark, e.message, e.hint)
            return None
        except yaml.MarkedYAMLError as e:
            what = (e.problem or e.context or "the YAML cannot be read").strip()
            self.problem(e.problem_mark or e.context_mark, f"YAML syntax: {what}",
                         "check the indentation and the ':' after each key near here")
            return None
        except yaml.YAMLError as e:
            self.problem(None, f"YAML syntax: {e}", "check that this is a relief script")
            return None
        finally:
            loader.dispose()
        if root is None:
            self.problem(None, "the file is empty",
                         "start from 'crampvoice new NAME', which writes a commented example")
        return root

    # -- nodes to the model ------------------------------------------------------

    def _mapping(self, node: Node, what: str, allowed: tuple[str, ...]) -> dict[str, Node] | None:
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
                self.problem(key, f"{what} has an unknown key '{word}'", _did_you_mean(word, allowed))
            else:
                out[word] = value
        return out

    def _check_tags(self, node: Node) -> None:
        if node.tag not in _PLAIN_TAGS:
            tag = node.tag.replace(_TAG, "!!")
            self.problem(node, f"the tag '{tag}' is not allowed",
                         "remove the '!' tag; relief scripts hold plain text and numbers")
        elif isinstance(node, SequenceNode):
            for item in node.value:
                self._check_tags(item)
        elif isinstance(node, MappingNode):
            for key, value in node.value:
                self._check_tags(key)
                self._check_tags(value)

    def _script(self, root: Node, name: str) -> Script | None:
        top = self._mapping(root, "the script", TOP_KEYS)
        if top is None:
            return None
        version = top.get("crampvoice")
        if version is None:
            self.problem(root, "the script has no 'crampvoice:' format line",
                         f"add 'crampvoice: {FORMAT_VERSION}' as the first line")
        else:
            v = self._number(version, "crampvoice", 1, 10**6, whole=True)
            if v is not None and v > FORMAT_VERSION:
                self.problem(version, f"this script is format {int(v)}, newer than this "
                             f"program understands (format {FORMAT_VERSION})",
                             "update crampvoice, or ask for a format 1 script")
        title = self._text(top["title"], "title") if "title" in top else None
        if "title" not in top:
            self.problem(root, "the script has no 'title:'", "add a short title such as 'title: Calf cramp'")
        muscle = self._text(top["muscle"], "muscle") if "muscle" in top else ""
        safety = self._safety(top["safety"]) if "safety" in top else ()
        steps = self._steps(top["steps"]) if "steps" in top else None
        if "steps" not in top:
            self.problem(root, "the script has no 'steps:'", "add a list of steps; see 'crampvoice new'")
        voice = self._text(top["voice"], "voice") if "voice" in top else None
        rate = self._number(top["rate"], "rate (words a minute)", *RATE_BOUNDS_WPM, whole=True) \
            if "rate" in top else None
        if title is None or steps is None or muscle is None:
            return None
        return Script(title=title, steps=steps, muscle=muscle, safety=safety, name=name, voice=voice,
                      rate_wpm=None if rate is None else int(rate))

    def _safety(self, node: Node) -> tuple[str, ...]:
        items = node.value if isinstance(node, SequenceNode) else [node]
        return tuple(t for item in items if (t := self._text(item, "a safety note")) is not None)

    def _steps(self, node: Node) -> tuple[Step, ...] | None:
        if not isinstance(node, SequenceNode) or not node.value:
            self.problem(node, "'steps' should be a list of one or more steps, each starting with '- '")
            return None
        if len(node.value) > MAX_STEPS:
            self.problem(node, f"the script has {len(node.value)} steps; at most {MAX_STEPS} are allowed",
                         "split it into several scripts")
            return None
        steps = [self._step(item, n) for n, item in enumerate(node.value, start=1)]
        return tuple(s for s in steps if s is not None) if all(steps) else None

    def _step(self, node: Node, n: int) -> Step | None:
        what = f"step {n}"
        keys = self._mapping(node, what, STEP_KEYS)
        if keys is None:
            return None
        kinds = [k for k in KIND_KEYS if k in keys]
        if len(kinds) != 1:
            found = " and ".join(f"'{k}'" for k in kinds)
            self.problem(node, f"{what} has {found or 'no instruction'}",
                         f"give it exactly one of: {', '.join(KIND_KEYS)}")
            return None
        kind = Kind(kinds[0])
        text = self._text(keys[kind.value], f"{what}'s '{kind.value}'")
        step = Step(kind=kind, text=text or "", line=node.start_mark.line + 1)
        fields: dict[str, object] = {}
        for key, value in keys.items():
            parsed = self._field(kind, what, key, value)
            if parsed is not None:
                fields[key] = parsed
        if "repeat" in keys and "hold" not in keys:
            self.problem(keys["repeat"], f"{what} has 'repeat' but no 'hold'",
                         "'repeat' counts timed sets; add 'hold: SECONDS'")
        if "rest" in keys and fields.get("repeat", 1) == 1 and fields.get("sides") is not True:
            self.problem(keys["rest"], f"{what} has 'rest' but only one set on one side",
                         "add 'repeat: 2' or more, or 'sides: both', or remove 'rest'")
        if text is None or len(fields) != len(keys) - 1:
            return None
        return _with(step, fields)

    def _field(self, kind: Kind, what: str, key: str, node: Node) -> object | None:
        asking = kind is Kind.ASK
        if key in KIND_KEYS:
            return None
        if key in ("yes", "no", "default", "wait") and not asking:
            self.problem(node, f"{what} has '{key}', which only a question ('ask') may have",
                         "remove it, or make the step an 'ask'")
            return None
        if key in ("hold", "repeat", "rest", "sides") and asking:
            self.problem(node, f"{what} is a question and cannot have '{key}'",
                         "put the timed part in a step of its own")
            return None
        if key in ("hold", "rest", "wait"):
            low = 0.0 if key == "rest" else MIN_HOLD_S
            return self._number(node, f"{what}'s '{key}'", low, MAX_HOLD_S)
        if key == "repeat":
            sets = self._number(node, f"{what}'s 'repeat'", 1, MAX_SETS, whole=True)
            return None if sets is None else int(sets)
        if key == "sides":
            return self._choice(node, f"{what}'s 'sides'", {"one": False, "both": True}.get)
        if key == "default":
            return self._choice(node, f"{what}'s 'default'", _enum_value(Answer))
        return self._choice(node, f"{what}'s '{key}'", _enum_value(Then))

    def _text(self, node: Node, what: str) -> str | None:
        if not isinstance(node, ScalarNode) or node.tag != _TAG + "str" or not node.value.strip():
            self.problem(node, f"{what} should be a sentence of text")
            return None
        if len(node.value) > MAX_TEXT_CHARS:
            self.problem(node, f"{what} is longer than {MAX_TEXT_CHARS} characters",
                         "keep spoken sentences short; split it into several steps")
            return None
        return " ".join(node.value.split())

    def _number(self, node: Node, what: str, low: float, high: float, whole: bool = False) -> float | None:
        value = _scalar_number(node)
        ok = value is not None and math.isfinite(value) and low <= value <= high
        if not ok or (whole and value != int(value or 0)):
            kind = "a whole number" if whole else "a number of seconds"
            self.problem(node, f"{what} should be {kind} from {low:g} to {high:g}, not '{node.value}'")
            return None
        return value

    def _choice(self, node: Node, what: str, pick: Callable[[str], _T | None]) -> _T | None:
        word = node.value.lower() if isinstance(node, ScalarNode) else ""
        choice = pick(word)
        if choice is None:
            shown = node.value if isinstance(node, ScalarNode) else "a list or mapping"
            self.problem(node, f"{what} cannot be '{shown}'", _choices_hint(what))
        return choice


_FIELD_NAMES = {"hold": "hold_s", "rest": "rest_s", "repeat": "sets", "sides": "both_sides",
                "yes": "on_yes", "no": "on_no", "default": "default", "wait": "wait_s"}


def _scalar_number(node: Node) -> float | None:
    """A YAML 1.1 int or float scalar (1:30 is 90), or None for anything else."""
    if isinstance(node, ScalarNode) and node.tag == _TAG + "int":
        return float(_NUMBERS.construct_yaml_int(node))
    if isinstance(node, ScalarNode) and node.tag == _TAG + "float":
        return float(_NUMBERS.construct_yaml_float(node))
    return None


def _with(step: Step, fields: dict[str, object]) -> Step:
    """Fill a Step from parsed YAML fields (keys as written in the file)."""
    values = {_FIELD_NAMES[k]: v for k, v in fields.items()}
    return dataclasses.replace(step, **values)  # type: ignore[arg-type]


def _enum_value(enum_type: type[_T]) -> Callable[[str], _T | None]:
    by_word = {m.value: m for m in enum_type}  # type: ignore[attr-defined]
    return by_word.get


def _choices_hint(what: str) -> str:
    if "sides" in what:
        return "write 'one' or 'both'"
    if "default" in what:
        return "write 'yes' or 'no'"
    return "write 'continue', 'repeat' or 'end'"


def _did_you_mean(word: str, allowed: tuple[str, ...]) -> str:
    close = difflib.get_close_matches(word, allowed, n=1, cutoff=0.6)
    keys = f"the keys allowed here: {', '.join(allowed)}"
    return f"did you mean '{close[0]}'? {keys}" if close else keys
