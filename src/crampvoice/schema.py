"""JSON Schemas for relief scripts and profiles, made from the definitions the readers check.

Editors with the YAML language server (VS Code, Neovim, Helix ...) use them to complete keys,
describe each key and flag mistakes as a caregiver types; `crampvoice schema script|profile`
prints them, and the files `new` and `profile new` write name them on their first line.

That line names a copy in the person's data folder, not the one in the package: a reinstall,
`pipx uninstall` or a new Python moves or removes the package, and every script's editor
support went with it. Each command that writes the line (`new`, `profile new`, `profile edit`,
`import`) and `validate` bring the copy up to date with the program; `import` and the copies
`--from` makes point the line at this machine's copy, not the sender's.

The keys, ranges and choices come from the readers' own constants (core/scriptfile.py,
core/script.py, settings.py), so the schema cannot drift from what `validate` accepts. What a
schema cannot see is checked by the readers alone: YAML's own tricks (anchors, tags, a key
written twice), a phrase given to two commands, and the text of a sentence (core/ear.py).

Written for what the YAML language server (2.0) does with a schema, measured in
tests/test_schema.py: it completes a key with its `default` and a new file with the root's
`defaultSnippets`; it offers the keys of every `if`-`then` whose `if` holds, so a step's kind
key picks its keys; it takes `errorMessage` in place of its own words for a missing required
key, a key not allowed, a wrong type and a value not in `enum` or `const`, but not for
`minimum`, `maximum`, `dependentRequired`, `not` ("Matches a schema that is not allowed") or
`oneOf` ("Matches multiple schemas when only one must validate"), which are not used here.
"""

from __future__ import annotations

import json
import os
import re
from functools import cache
from pathlib import Path
from typing import Any

from .core.commands import Command
from .core.manner import SCAN_BOUNDS_S, SCAN_OFFER_S, Countdown
from .core.printable import is_control
from .core.script import FORMAT_VERSION, MAX_HOLD_S, MAX_SETS, MIN_HOLD_S, RATE_BOUNDS_WPM, Answer, Kind, Then
from .core.scriptfile import KIND_KEYS, MAX_STEPS, MAX_TEXT_CHARS
from .settings import INPUTS, MAX_VOLUME, MIN_VOLUME, data_dir

DRAFT = "https://json-schema.org/draft/2020-12/schema"

# What each key means: the schema's descriptions, which editors show beside the key.
SCRIPT_HELP = {
    "crampvoice": "The format version of this file: 1.",
    "title": "Said first, and shown by 'crampvoice list'.",
    "muscle": "The muscle this routine is for, such as calf or foot.",
    "safety": "Safety notes, said before the first step and again on 'help'. Keep the red flags here.",
    "voice": "An espeak-ng voice id from 'crampvoice voices'; the person's profile wins over it.",
    "rate": "Speaking pace in words a minute; the person's profile wins over it.",
    "steps": "The routine, one step after another. Each step has exactly one of: " + ", ".join(KIND_KEYS) + ".",
    "stretch": "A stretch, said aloud; give it a 'hold'.",
    "move": "A movement, such as walking or shaking the leg.",
    "massage": "A massage, timed with 'hold'.",
    "heat": "Warmth (never hot), timed with 'hold'.",
    "say": "Something to say, such as sipping water.",
    "ask": "A question answered with yes or no.",
    "hold": f"Seconds the step lasts, from {MIN_HOLD_S:g} to {MAX_HOLD_S:g}, counted down with spoken cues.",
    "repeat": f"How many timed sets, from 1 to {MAX_SETS}; needs 'hold'.",
    "rest": "Seconds of rest between sets or sides; needs 'repeat' of 2 or more, or 'sides: both'.",
    "sides": "'both': the step is done on one leg, then the other.",
    "yes": "Where a yes leads: continue, repeat (from the first step) or end.",
    "no": "Where a no leads: continue, repeat (from the first step) or end.",
    "default": "The answer taken when nobody answers: yes or no.",
    "wait": "Seconds to wait for an answer.",
}
PROFILE_HELP = {
    "script": "The routine 'crampvoice run' starts with no name given: a name from 'crampvoice list'.",
    "voice": "An espeak-ng voice id from 'crampvoice voices'.",
    "rate": f"Speaking pace in words a minute, from {RATE_BOUNDS_WPM[0]} to {RATE_BOUNDS_WPM[1]} (160 if not set).",
    "volume": f"Loudness, from {MIN_VOLUME:g} to {MAX_VOLUME:g}.",
    "words": "The person's own words or phrases for commands, beside the usual ones; "
             "each phrase may mean one command only.",
    "input": "How the person gives commands: voice (and keys), keys (no microphone), or switch (the one "
             "switch, space, with no microphone).",
    "scan": f"Seconds the one switch offers each choice, from {SCAN_BOUNDS_S[0]:g} to {SCAN_BOUNDS_S[1]:g} "
            f"({SCAN_OFFER_S:g} if not set).",
    "countdown": "What is said during a hold: full (halfway, a minute left, the last seconds counted), "
                 "halfway (no counting), or none (only the end).",
    "brief": "yes: for someone who knows the routine; the instructions stay, the explanations go.",
    "listen_while_speaking": "yes: 'stop', 'pause', 'emergency', 'repeat', 'louder' and 'quieter' are heard while "
                             "it speaks, its own voice taken out (needs SpeexDSP and PulseAudio or PipeWire); "
                             "no (the default): not heard while it speaks.",
}


# What the language server says where its own words would be a JSON Schema's ("Missing property ...").
NEEDS_KIND = "Each step needs exactly one of: " + ", ".join(KIND_KEYS) + "."
REPEAT_NEEDS_HOLD = "'repeat' counts timed sets: add 'hold: SECONDS' to this step."
REST_NEEDS_SETS = "'rest' is the pause between sets or sides: add 'repeat: 2' or more, or 'sides: both', or remove it."
TIMED_KEYS = ("hold", "repeat", "rest", "sides")
ASKED_KEYS = ("yes", "no", "default", "wait")


def script_schema() -> dict[str, Any]:
    text = _text()
    seconds = _number(MIN_HOLD_S, MAX_HOLD_S)
    step_fields: dict[str, dict[str, Any]] = {
        **dict.fromkeys(KIND_KEYS, text),
        "hold": {**seconds, "default": 30},
        "repeat": {**_number(1, MAX_SETS, whole=True), "default": 2},
        "rest": {**_number(0, MAX_HOLD_S), "default": 10},
        "sides": {"enum": ["one", "both"]},
        "yes": {"enum": [t.value for t in Then]}, "no": {"enum": [t.value for t in Then]},
        "default": {"enum": [a.value for a in Answer] + [True, False]},
        "wait": {**seconds, "default": 20},
    }
    described = {k: {**v, "description": SCRIPT_HELP[k]} for k, v in step_fields.items()}
    both_sides = {"required": ["sides"], "properties": {"sides": {"const": "both", "errorMessage": REST_NEEDS_SETS}},
                  "errorMessage": REST_NEEDS_SETS}
    # 'rest' needs two sets or more, or both sides. Said with if-then, not `minimum`: the language
    # server words a minimum as "Value is below the minimum of 2." on a 'repeat: 1' that is fine alone.
    timed = {"dependentSchemas": {
        "repeat": {"required": ["hold"], "errorMessage": REPEAT_NEEDS_HOLD},
        "rest": {"if": {"required": ["repeat"], "properties": {"repeat": {"type": "number", "maximum": 1}}},
                 "then": both_sides,
                 "else": {"anyOf": [{"required": ["repeat"], "errorMessage": REST_NEEDS_SETS}, both_sides]}}}}

    def kind_of_step(kind: str) -> dict[str, Any]:
        """A step of one kind: its own keys only, so an editor offers those and no others."""
        asking = kind == Kind.ASK.value
        keys = (kind, *(ASKED_KEYS if asking else TIMED_KEYS))
        return {"title": f"{kind} step", "properties": {k: described[k] for k in keys},
                "additionalProperties": False, **({} if asking else timed)}

    # Told apart by their kind key: each kind's keys apply where that key is (if-then), not the
    # alternative that fits best (oneOf or anyOf), which the language server may guess wrong
    # ("Property ask is not allowed" for an ask step given a hold) and words as "Matches multiple schemas".
    step = {"type": "object", "errorMessage": NEEDS_KIND,
            "anyOf": [{"required": [k], "errorMessage": NEEDS_KIND} for k in KIND_KEYS],
            "allOf": [{"if": {"required": [k]}, "then": kind_of_step(k)} for k in KIND_KEYS]}
    top: dict[str, dict[str, Any]] = {
        "crampvoice": {"type": "integer", "minimum": 1, "maximum": FORMAT_VERSION, "default": FORMAT_VERSION},
        "title": text, "muscle": text,
        "safety": {"anyOf": [text, {"type": "array", "items": text}]},
        "voice": text,
        "rate": _number(*RATE_BOUNDS_WPM, whole=True),
        "steps": {"type": "array", "minItems": 1, "maxItems": MAX_STEPS, "items": step},
    }
    whole = {"crampvoice": FORMAT_VERSION, "title": "${1:My calf cramp}", "muscle": "${2:calf}",
             "safety": ["${3:If the cramp does not ease after about ten minutes, get medical help.}"],
             "steps": [{"stretch": "${4:Straighten your leg and gently pull your toes up toward your shin.}",
                        "hold": 30},
                       {"ask": "${5:Is the cramp easing?}", '"no"': "repeat", "default": "yes", "wait": 20},
                       {"say": "${6:Sip some water, and rest the leg.}"}]}
    return {"$schema": DRAFT, "title": "crampvoice relief script", "type": "object",
            "properties": {k: {**v, "description": SCRIPT_HELP[k]} for k, v in top.items()},
            "required": ["crampvoice", "title", "steps"], "additionalProperties": False,
            "defaultSnippets": [{"label": "a relief script", "description": "A whole script to start from.",
                                 "body": whole}]}


def profile_schema() -> dict[str, Any]:
    phrases = {"anyOf": [_text(), {"type": "array", "items": _text()}]}
    fields: dict[str, dict[str, Any]] = {
        "script": _text(), "voice": _text(),
        "rate": _number(*RATE_BOUNDS_WPM, whole=True),
        "volume": _number(MIN_VOLUME, MAX_VOLUME),
        "words": {"type": "object", "propertyNames": {"enum": [c.value for c in Command]},
                  "additionalProperties": phrases},
        "input": {"enum": list(INPUTS)},
        "scan": _number(*SCAN_BOUNDS_S),
        "countdown": {"enum": [c.value for c in Countdown]},
        "brief": {"enum": [True, False, "yes", "no", "true", "false", "on", "off"]},
        "listen_while_speaking": {"enum": [True, False, "yes", "no", "true", "false", "on", "off"]},
    }
    return {"$schema": DRAFT, "title": "crampvoice profile (a person's settings)", "type": ["object", "null"],
            "properties": {k: {**v, "description": PROFILE_HELP[k]} for k, v in fields.items()},
            "additionalProperties": False}


def as_json(schema: dict[str, Any]) -> str:
    return json.dumps(schema, indent=2, ensure_ascii=True) + "\n"


SCHEMAS = {"script": script_schema, "profile": profile_schema}


def shipped(kind: str) -> Path:
    """The schema as a file in the package, for an editor to read (the same text `as_json` makes)."""
    return Path(__file__).parent / "schemas" / f"{kind}.schema.json"


def kept(kind: str) -> Path:
    """The schema's copy in the person's data folder, which outlives any install of the program."""
    return data_dir() / "schemas" / f"{kind}.schema.json"


def refresh(kind: str) -> Path:
    """Bring the kept copy up to date with this program and return it; the package's file if it cannot be written."""
    target, text = kept(kind), shipped(kind).read_bytes()
    try:
        if target.is_file() and target.read_bytes() == text:
            return target
        target.parent.mkdir(parents=True, exist_ok=True)
        draft = target.with_name(f".{target.name}.{os.getpid()}")
        draft.write_bytes(text)
        os.replace(draft, target)  # an editor reading it meanwhile sees the old schema or the new, never half
    except OSError:
        return shipped(kind)
    return target


def refresh_all() -> None:
    for kind in SCHEMAS:
        refresh(kind)


def first_line(kind: str) -> str:
    """The comment that points the YAML language server at the schema: the first line of a file we write."""
    return f"# yaml-language-server: $schema={refresh(kind).absolute().as_uri()}\n"


MODELINE = re.compile(r"\A# yaml-language-server:[^\n]*(\n|\Z)")


def with_first_line(text: str, kind: str, add: bool = True) -> str:
    """`text` with its schema line pointing at this machine's copy: replaced if it has one, else added if `add`."""
    rest, found = MODELINE.subn("", text, count=1)
    return first_line(kind) + rest if found or add else text


def _text() -> dict[str, Any]:
    """A sentence or a name as written: YAML may read `Yes` or `30` as something else, the reader never does."""
    c = _control_class()
    return {"type": ["string", "number", "boolean"], "maxLength": MAX_TEXT_CHARS,
            "pattern": f"^[^{c}]*[^\\s{c}][^{c}]*$"}


def _number(low: float, high: float, whole: bool = False) -> dict[str, Any]:
    """A number in range; the reader also takes one in quotes ("30"), which an editor need not flag."""
    kind = "integer" if whole else "number"
    return {"anyOf": [{"type": kind, "minimum": low, "maximum": high},
                      {"type": "string", "pattern": r"^\s*[0-9]+(\.[0-9]+)?\s*$"}]}


@cache
def _control_class() -> str:
    """The control characters the readers refuse, as a regular expression's character class."""
    controls = [c for c in range(0x2100) if is_control(chr(c))]
    ranges: list[list[int]] = []
    for c in controls:
        if ranges and ranges[-1][1] == c - 1:
            ranges[-1][1] = c
        else:
            ranges.append([c, c])
    return "".join(f"\\u{a:04x}" + (f"-\\u{b:04x}" if b > a else "") for a, b in ranges)
