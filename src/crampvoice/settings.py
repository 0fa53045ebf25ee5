"""A person's settings (their profile) and where their own files live (platformdirs).

Each person crampvoice is set up for has a profile: `settings.yaml` in the config folder is
the default one, and `profiles/NAME.yaml` beside it one each for anyone else in the house.
A profile's own files (the takes of their voice, what was not understood) live in a folder
of its own; scripts are shared. The command line picks the profile once (`--profile NAME`,
`select_profile`), before anything is read.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from functools import partial
from pathlib import Path
from typing import TypeVar

import platformdirs
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from .core.commands import Command, clashes
from .core.errors import Problem, SettingsError
from .core.manner import DEFAULT as DEFAULT_MANNER
from .core.manner import SCAN_BOUNDS_S, SCAN_OFFER_S, Countdown, Manner
from .core.script import RATE_BOUNDS_WPM
from .core.yamlnodes import MAX_FILE_BYTES, NodeReader, number, shown
from .smallfile import read_regular, why

APP = "crampvoice"
KEYS = ("script", "voice", "rate", "volume", "words", "input", "scan", "countdown", "brief", "listen_while_speaking")
INPUTS = ("voice", "keys", "switch")  # keys and switch: no microphone; the keys (and space) only
MIN_VOLUME, MAX_VOLUME = 0.0, 1.0
_T = TypeVar("_T")


PROFILE_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
_selected: list[str] = []  # the profile chosen for this run; none: the default one


def data_dir() -> Path:
    """The household's own scripts and diary ($XDG_DATA_HOME/crampvoice on Linux)."""
    return Path(platformdirs.user_data_dir(APP))


def config_dir() -> Path:
    return Path(platformdirs.user_config_dir(APP))


def user_scripts_dir() -> Path:
    return data_dir() / "scripts"


def profiles_dir() -> Path:
    return config_dir() / "profiles"


def profile_path(name: str) -> Path:
    """Where the profile `name` is kept; CrampvoiceError for a name no profile can have."""
    if not PROFILE_NAME.match(name) or name == "default":
        raise SettingsError(f"'{name}' cannot be a profile name",
                            "use up to 64 lower-case letters, digits, '-' and '_', such as 'dad' or 'mum-night'")
    return profiles_dir() / f"{name}.yaml"


def profile_file(name: str) -> Path:
    """The profile `name`'s file, `settings.yaml` for the default one."""
    return config_dir() / "settings.yaml" if name == "default" else profile_path(name)


def select_profile(name: str | None) -> None:
    """Read and keep this run's settings and files as the profile `name`'s (None: the default)."""
    _selected.clear()
    if name is None or name == "default":
        return
    path = profile_path(name)
    if not path.is_file():
        known = ", ".join(profile_names()) or "none yet"
        raise SettingsError(f"there is no profile '{name}' (profiles: {known})",
                            f"make it with 'crampvoice profile new {name}'")
    _selected.append(name)


def selected_profile() -> str | None:
    return _selected[0] if _selected else None


def profile_names() -> list[str]:
    """Every profile but the default, by name (a FIFO or folder in its place is none)."""
    folder = profiles_dir()
    if not folder.is_dir():
        return []
    return sorted(p.stem for p in folder.glob("*.yaml") if PROFILE_NAME.match(p.stem) and p.is_file())


def settings_path() -> Path:
    """The selected profile's file; the default profile is `settings.yaml`."""
    return profile_file(selected_profile() or "default")


def person_dir() -> Path:
    """Where the selected profile's own files live: the takes of their voice, what was not understood."""
    name = selected_profile()
    return data_dir() / "people" / name if name else data_dir()


@dataclass(frozen=True, slots=True)
class Settings:
    script: str = "calf"  # the routine `crampvoice run` starts with no name given
    voice: str | None = None  # an espeak-ng voice id
    rate: int | None = None  # words a minute
    volume: float | None = None  # 0.0 to 1.0
    words: dict[Command, tuple[str, ...]] = field(default_factory=dict)  # a person's own phrases
    input: str = "voice"  # one of INPUTS
    manner: Manner = DEFAULT_MANNER  # countdown, brief, the switch's scanning speed
    listen_while_speaking: bool = False  # full duplex where it can be had (listen/duplex.py); else half-duplex


def load_settings(path: Path | None = None) -> Settings:
    """The settings file, or defaults when there is none. Never writes anything.

    Read like a script (`core/yamlnodes.py`): composed to nodes, at most 1 MiB, nesting, anchors
    and tags refused, so no settings file can exhaust memory or the stack.
    """
    path = path or settings_path()
    settings, problems = check_settings(path)
    if problems or settings is None:
        first = problems[0]
        raise SettingsError(f"{path}: {first.message} (line {first.line}, column {first.col})", first.hint)
    return settings


def check_settings(path: Path) -> tuple[Settings | None, list[Problem]]:
    """The settings in `path` (defaults when there is no file), or None and every problem, sorted, each
    with a hint; SettingsError when the file cannot be read at all."""
    try:
        data = read_regular(path, MAX_FILE_BYTES + 1)
    except (FileNotFoundError, NotADirectoryError):  # no file; or XDG_CONFIG_HOME is a file: no settings in it
        return Settings(), []
    except OSError as e:
        raise SettingsError(f"cannot read the settings file {path}: {why(e)}",
                            "fix or remove that file; it holds 'key: value' lines") from None
    reader = _Reader(str(path))
    settings = reader.read(data)
    problems = sorted(replace(p, hint=p.hint or reader.unreadable_hint) for p in reader.problems)
    return (None, problems) if problems else (settings, [])


class _Reader(NodeReader):
    too_large_hint = "a settings file is a few 'key: value' lines; check that this is the right file"
    nested_hint = "a settings file holds 'key: value' lines, and lists of phrases under 'words:'"
    unreadable_hint = "fix or remove that file"
    tag_hint = "remove the '!' tag; settings hold plain names, numbers and phrases"
    syntax_message = "the settings file is not valid YAML"
    allow_empty = True
    keys_hint = f"keys a settings file may have: {', '.join(KEYS)}"

    def read(self, data: bytes) -> Settings | None:
        root = self.compose(data)
        if self.problems:  # unreadable, or a tag: nothing in it is read
            return None
        if root is None:
            return Settings()
        if not isinstance(root, MappingNode):
            self.problem(root, "the settings file should hold 'key: value' lines", self.keys_hint)
            return None
        top: dict[str, Node] = {}
        for key, value in root.value:
            word = key.value if isinstance(key, ScalarNode) else ""
            if word not in KEYS:
                self.problem(key, f"unknown setting '{shown(word or 'a list or mapping')}'", self.keys_hint)
            elif word in top:
                self.problem(key, f"'{word}' is set twice", "keep one of them")
            else:
                top[word] = value
        script = self._name(top.get("script"))
        voice = self._name(top.get("voice"))
        rate = self._number(top.get("rate"), *RATE_BOUNDS_WPM, f"'rate' should be words a minute, from "
                            f"{RATE_BOUNDS_WPM[0]} to {RATE_BOUNDS_WPM[1]}", whole=True)
        volume = self._number(top.get("volume"), MIN_VOLUME, MAX_VOLUME,
                              f"'volume' should be a number from {MIN_VOLUME:g} to {MAX_VOLUME:g}")
        words = self._words(top["words"]) if "words" in top else {}
        choice = partial(self._choice, top)
        taken = choice("input", {i: i for i in INPUTS}) or "voice"
        countdown = choice("countdown", {c.value: c for c in Countdown}) or Countdown.FULL
        yes_no = {"yes": True, "true": True, "on": True, "no": False, "false": False, "off": False}
        brief = choice("brief", yes_no)
        duplex = choice("listen_while_speaking", yes_no)
        low, high = SCAN_BOUNDS_S
        scan = self._number(top.get("scan"), low, high, f"'scan' should be seconds each choice is offered, "
                            f"from {low:g} to {high:g}")
        if self.problems:
            return None
        manner = Manner(countdown=countdown, brief=bool(brief), scan_s=SCAN_OFFER_S if scan is None else scan)
        return Settings(script=script or "calf", voice=voice, rate=None if rate is None else int(rate),
                        volume=volume, words=words, input=taken, manner=manner,
                        listen_while_speaking=bool(duplex))

    def _choice(self, top: dict[str, Node], key: str, choices: dict[str, _T]) -> _T | None:
        node = top.get(key)
        if node is None:
            return None
        word = (self.words(node) or "").strip().lower()
        if word not in choices:
            shown_choices = ", ".join(dict.fromkeys(str(getattr(v, "value", k)) for k, v in choices.items()))
            self.problem(node, f"'{key}' cannot be '{shown(word or 'a list or mapping')}'",
                         f"'{key}' is one of: {shown_choices}")
            return None
        return choices[word]

    def _name(self, node: Node | None) -> str | None:
        if node is None:
            return None
        text = self.words(node)
        if text is None:
            self.problem(node, "'script' and 'voice' should be names", self.keys_hint)
            return None
        return text.strip() if self.control_free(node, text, "the name") else None

    def _number(self, node: Node | None, low: float, high: float, what: str, whole: bool = False) -> float | None:
        if node is None:
            return None
        value = number(node)
        if value is None or not low <= value <= high or (whole and value != int(value)):
            self.problem(node, what, self.keys_hint)
            return None
        return value

    def _words(self, node: Node) -> dict[Command, tuple[str, ...]]:
        names = {c.value: c for c in Command}
        mapping = node.value if isinstance(node, MappingNode) else None
        if mapping is None or not all(isinstance(k, ScalarNode) and k.value in names for k, _ in mapping):
            self.problem(node, f"'words' should map command names ({', '.join(names)}) to lists of phrases",
                         self.keys_hint)
            return {}
        out: dict[Command, tuple[str, ...]] = {}
        where: dict[tuple[Command, int], Node] = {}
        for key, value in mapping:
            command = names[key.value]
            if command in out:
                self.problem(key, f"'words: {key.value}' is there twice", "put all its phrases in one list")
                continue
            items = value.value if isinstance(value, SequenceNode) else [value]
            phrases = [self.words(item) for item in items]
            if not all(phrases):
                self.problem(value, f"'words: {key.value}' should be a phrase or a list of phrases", self.keys_hint)
                continue
            what = f"'words: {key.value}'"
            clean = [self.control_free(i, p or "", what) for i, p in zip(items, phrases, strict=True)]
            if all(clean):  # every phrase checked: each control character is named
                out[command] = tuple(p.strip() for p in phrases if p)
            where.update(((command, n), item) for n, item in enumerate(items))
        for clash in clashes(out):
            other = ("a default word" if clash.other_index is None
                     else f"line {where[clash.other, clash.other_index].start_mark.line + 1}")
            self.problem(where[clash.command, clash.index],
                         f"'{clash.phrase}' is a word for both '{clash.other.value}' ({other}) "
                         f"and '{clash.command.value}'",
                         "choose another phrase: each phrase can mean only one command")
        return out
