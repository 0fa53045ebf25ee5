"""The command vocabulary: heard words or pressed keys -> Command. Core module."""

from __future__ import annotations

import enum
import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass


class Command(enum.Enum):
    NEXT = "next"
    BACK = "back"
    REPEAT = "repeat"
    PAUSE = "pause"
    RESUME = "resume"
    STOP = "stop"
    HELP = "help"
    EMERGENCY = "emergency"
    YES = "yes"
    NO = "no"
    SLOWER = "slower"
    FASTER = "faster"
    LOUDER = "louder"
    QUIETER = "quieter"
    TIME = "time"
    SLEEP = "sleep"
    WAKE = "wake"
    SWITCH = "switch"  # the single switch (space): picks what is on offer
    START = "start"  # begins a session from standby (standby.py); nothing inside a session


# DESIGN.md's word table. Longer phrases are easier to hear than one syllable.
PHRASES: Mapping[Command, tuple[str, ...]] = {
    Command.NEXT: ("next", "next step", "go", "forward", "skip", "done"),
    Command.BACK: ("back", "go back", "previous", "backward"),
    Command.REPEAT: ("repeat", "again", "say that again"),
    Command.PAUSE: ("pause", "pause please", "wait"),
    Command.RESUME: ("resume", "continue", "carry on"),
    Command.STOP: ("stop", "quit"),
    Command.HELP: ("help", "what can i say"),
    Command.EMERGENCY: ("emergency",),
    Command.YES: ("yes",),
    Command.NO: ("no",),
    Command.SLOWER: ("slower",),
    Command.FASTER: ("faster",),
    Command.LOUDER: ("louder",),
    Command.QUIETER: ("quieter",),
    Command.TIME: ("time", "how long"),
    Command.SLEEP: ("go to sleep",),
    Command.WAKE: ("wake up",),
    # Two words each, every one in pocketsphinx's dictionary ("crampvoice" as "cramp" + "voice",
    # sphinx.py); a phrase nobody says by chance, since a false start talks into a dark bedroom.
    Command.START: ("cramp help", "crampvoice start"),
}

# What must always work, whatever a person teaches: their default phrases can never be given to
# another command (`words add stop --as next` is refused; takes like it are passed over).
ALWAYS_HEARD = frozenset({Command.STOP, Command.PAUSE, Command.EMERGENCY})


def kept_for(phrase: str) -> Command | None:
    """The command that always keeps `phrase` ("stop" -> STOP), or None."""
    said = normalise(phrase)
    return next((c for c in ALWAYS_HEARD if said in (normalise(p) for p in PHRASES[c])), None)


# Keys, for the keyboard and for lines read from a pipe. Names as prompt_toolkit
# reports special keys; letters as typed.
KEYS: Mapping[str, Command] = {
    " ": Command.SWITCH,
    "space": Command.SWITCH,
    "enter": Command.NEXT,
    "right": Command.NEXT,
    "b": Command.BACK,
    "left": Command.BACK,
    "r": Command.REPEAT,
    "p": Command.PAUSE,
    "c": Command.RESUME,
    "s": Command.STOP,
    "q": Command.STOP,
    "escape": Command.STOP,
    "h": Command.HELP,
    "?": Command.HELP,
    "e": Command.EMERGENCY,
    "y": Command.YES,
    "n": Command.NO,
    "t": Command.TIME,
    "-": Command.SLOWER,
    "+": Command.FASTER,
    "=": Command.FASTER,
    "u": Command.LOUDER,
    "d": Command.QUIETER,
}

KEY_HELP = (
    "Keys: space is the one switch: it pauses, then offers each choice in turn; press it again to pick.",
    "Enter or right arrow next, b or left arrow back, r repeat, p pause, c carry on,",
    "y yes, n no, t time left, h help, e emergency, s or q stop,",
    "minus slower, plus faster, u louder, d quieter. Ctrl-C ends at once.",
)


def normalise(text: str) -> str:
    """Lower case, letters and digits of any script, apostrophes and single spaces: how phrases are
    compared ("Café!" and "cafe\u0301" are both "café"; "да" stays "да")."""
    return " ".join(re.sub(r"[^\w']+|_", " ", unicodedata.normalize("NFC", text).casefold()).split())


@dataclass(frozen=True, slots=True)
class Clash:
    """A person's phrase already meaning another command: the `index`th phrase given for `command`."""

    phrase: str
    command: Command
    index: int
    other: Command
    other_index: int | None  # the other's own phrase given by the person; None: one of its default words


def clashes(extra: Mapping[Command, Sequence[str]]) -> list[Clash]:
    """Each of a person's phrases that means another command already, by default or earlier in `extra`.

    One phrase must mean one command: a person's "okay" for both "next" and "yes" would do one
    of them at random to them, and "stop: [done]" would quietly take "done" away from "next".
    """
    owner: dict[str, tuple[Command, int | None]] = {
        normalise(p): (c, None) for c, phrases in PHRASES.items() for p in phrases}
    found: list[Clash] = []
    for command, phrases in extra.items():
        for index, phrase in enumerate(phrases):
            said = normalise(phrase)
            other, other_index = owner.setdefault(said, (command, index))
            if said and other is not command:
                found.append(Clash(said, command, index, other, other_index))
    return found


class Vocabulary:
    """Phrases -> commands: the defaults plus a person's own words."""

    def __init__(self, extra: Mapping[Command, tuple[str, ...]] | None = None) -> None:
        self.phrases: dict[Command, tuple[str, ...]] = {}
        for command in Command:
            words = PHRASES.get(command, ()) + tuple((extra or {}).get(command, ()))
            self.phrases[command] = tuple(dict.fromkeys(normalise(w) for w in words if normalise(w)))
        self._by_phrase = {p: c for c, ps in self.phrases.items() for p in ps}

    def command_for(self, text: str) -> Command | None:
        """The command a whole utterance names, or None."""
        return self._by_phrase.get(normalise(text))


def command_for_line(line: str, vocabulary: Vocabulary) -> Command | None:
    """A line from a pipe: a phrase ("next", "go back"), a key ("n", "space"), or Enter (empty)."""
    stripped = line.strip()
    if not stripped:
        return Command.NEXT if line.strip("\r\n") == "" else Command.SWITCH
    return vocabulary.command_for(stripped) or KEYS.get(stripped.lower())
