"""Relief-script YAML text -> `Script`, or every problem with its line and column.

Core module: it is handed bytes and a display path, and reads no file itself. The YAML is
composed safely by `yamlnodes`; `Any` stops here: nothing past this module sees a YAML node.
"""

from __future__ import annotations

import dataclasses
import math
import re
from collections.abc import Callable
from typing import TypeVar

from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from .ear import hard_to_follow
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
from .yamlnodes import NodeReader, number, shown

MAX_STEPS = 1000
MAX_TEXT_CHARS = 1000

TOP_KEYS = ("crampvoice", "title", "muscle", "safety", "voice", "rate", "steps")
KIND_KEYS = tuple(k.value for k in Kind)
STEP_KEYS = (*KIND_KEYS, "hold", "repeat", "rest", "sides", "yes", "no", "default", "wait")
TEXT_KEYS = (*KIND_KEYS, "title", "muscle")
_T = TypeVar("_T")
# `key: value` on one line, the value not in quotes: what a sentence holding ': ' looks like to YAML.
_UNQUOTED = re.compile(r"^\s*(?:-\s+)?(?P<key>[a-z]+):[ \t]+(?P<value>[^'\"\s].*?)\s*$")
# Characters that make an unquoted value something other than plain text to YAML.
_NEEDS_QUOTES = re.compile(r": |^[@`%&*!|>{\[]")


def parse_script(data: bytes, path: str, name: str = "") -> Script:
    """Build a Script from a file's bytes, or raise ScriptError with every problem."""
    return read_script(data, path, name)[0]


def read_script(data: bytes, path: str, name: str = "") -> tuple[Script, list[Problem]]:
    """A Script and its warnings (usable, but perhaps not what was meant), or ScriptError with every problem."""
    reader = _Reader(path)
    return reader.read(data, name), reader.warnings


class _Reader(NodeReader):
    too_large_hint = "a relief script is a short text file; check that this is the right file"
    nested_hint = "a relief script is a mapping with a list of steps; see 'crampvoice new'"
    unreadable_hint = "check that this is a relief script"
    empty_hint = "start from 'crampvoice new NAME', which writes a commented example"
    tag_hint = "remove the '!' tag; relief scripts hold plain text and numbers"
    control_hint = ("remove it: escapes such as \\e or \\x1b and bidi marks would act on the screen "
                    "instead of being read")
    key_hints = {"words": "a person's own words for the commands go under 'words:' in their settings file "  # noqa: RUF012
                          "(~/.config/crampvoice/settings.yaml on Linux), not in a script"}

    def read(self, data: bytes, name: str) -> Script:
        root = self.compose(data)
        script = self._script(root, name) if root is not None else None
        if self.problems or script is None:
            raise ScriptError(self.problems + self.warnings)
        return script

    def syntax_hint(self, line: str) -> str:
        found = _UNQUOTED.match(line)
        if found is None or found["key"] not in TEXT_KEYS or not _NEEDS_QUOTES.search(found["value"]):
            return ""
        return _quote_hint(found["key"], found["value"])

    # -- nodes to the model ------------------------------------------------------

    def _script(self, root: Node, name: str) -> Script | None:
        top = self.mapping(root, "the script", TOP_KEYS)
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
        voice_at = (top["voice"].start_mark.line + 1, top["voice"].start_mark.column + 1) if voice else (0, 0)
        rate = self._number(top["rate"], "rate (words a minute)", *RATE_BOUNDS_WPM, whole=True) \
            if "rate" in top else None
        if title is None or steps is None or muscle is None:
            return None
        return Script(title=title, steps=steps, muscle=muscle, safety=safety, name=name, voice=voice,
                      rate_wpm=None if rate is None else int(rate), voice_at=voice_at)

    def _safety(self, node: Node) -> tuple[str, ...]:
        items = node.value if isinstance(node, SequenceNode) else [node]
        notes = [(item, self._text(item, "a safety note")) for item in items]
        for item, text in notes:
            if text is not None:
                self._ear_check(item, "a safety note", text)
        return tuple(text for _, text in notes if text is not None)

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
        keys = self.mapping(node, what, STEP_KEYS)
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
        self._ear_check(keys[kind.value], f"{what}'s '{kind.value}'", text, fields.get("hold"))
        return _with(step, fields)

    def _ear_check(self, node: Node, what: str, text: str, hold: object = None) -> None:
        for message, hint in hard_to_follow(text, hold if isinstance(hold, float) else None):
            self.warn(node, f"{what}: {message}", hint)

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
        text = self.words(node)
        if text is None:
            self.problem(node, f"{what} should be a sentence of text", _mapping_hint(node))
            return None
        if not self.control_free(node, text, what):
            return None
        if len(text) > MAX_TEXT_CHARS:
            self.problem(node, f"{what} is longer than {MAX_TEXT_CHARS} characters",
                         "keep spoken sentences short; split it into several steps")
            return None
        self._comment_check(node, what)
        return " ".join(text.split())

    def _comment_check(self, node: Node, what: str) -> None:
        """Warn where ' #' (one space) after unquoted text made the rest of the sentence a comment."""
        if not isinstance(node, ScalarNode) or node.style is not None:
            return
        end = node.end_mark.index
        line_end = self.text.find("\n", end)
        rest = self.text[end:] if line_end < 0 else self.text[end:line_end]
        if rest.startswith(" #"):
            self.warn(node, f"{what} stops before ' #': the rest of that line is a comment and is not said",
                      "to say it, put the whole sentence in double quotes; for a comment, "
                      "leave two spaces before the '#'")

    def _number(self, node: Node, what: str, low: float, high: float, whole: bool = False) -> float | None:
        value = number(node)
        ok = value is not None and math.isfinite(value) and low <= value <= high
        if not ok or (whole and value != int(value or 0)):
            kind = "a whole number" if whole else "a number of seconds"
            written = shown(node.value) if isinstance(node, ScalarNode) else "a list or mapping"
            self.problem(node, f"{what} should be {kind} from {low:g} to {high:g}, not '{written}'")
            return None
        return value

    def _choice(self, node: Node, what: str, pick: Callable[[str], _T | None]) -> _T | None:
        word = node.value.lower() if isinstance(node, ScalarNode) else ""
        choice = pick(word)
        if choice is None:
            written = shown(node.value) if isinstance(node, ScalarNode) else "a list or mapping"
            self.problem(node, f"{what} cannot be '{written}'", _choices_hint(what))
        return choice


_FIELD_NAMES = {"hold": "hold_s", "rest": "rest_s", "repeat": "sets", "sides": "both_sides",
                "yes": "on_yes", "no": "on_no", "default": "default", "wait": "wait_s"}


def _quote_hint(key: str, value: str) -> str:
    quoted = value.replace("\\", "\\\\").replace('"', '\\"')
    return f'put the sentence in double quotes: {key}: "{shown(quoted)}"'


def _mapping_hint(node: Node) -> str:
    """For `- Remember: breathe slowly.`, which YAML reads as a key and a value, the way to write it."""
    if isinstance(node, MappingNode) and len(node.value) == 1:
        key, value = node.value[0]
        if isinstance(key, ScalarNode) and isinstance(value, ScalarNode):
            return f'a sentence holding \': \' goes in double quotes: "{shown(key.value + ": " + value.value)}"'
    return ""


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
