"""Inputs to the sequencer (things that happened) and its effects (things to do).

Core module. Inputs are in the past tense, effects in the imperative.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .commands import Command
from .safety import History


@dataclass(frozen=True, slots=True)
class CommandGiven:
    command: Command
    by_voice: bool = False
    heard: str = ""  # the words heard, or the key pressed
    typed: bool = False  # a phrase typed as a line ("go back"), not a key


@dataclass(frozen=True, slots=True)
class TimerFired:
    """The sequencer's deadline has come (or the shell woke up for it)."""


@dataclass(frozen=True, slots=True)
class SpeechFinished:
    """Everything the speaker was given has been said (or silenced)."""


@dataclass(frozen=True, slots=True)
class Recalled:
    """The diary read again, as `Recall` asked: episodes of other sessions that ended meanwhile
    count too. `history` is in seconds before now; None when there is no diary to read."""

    history: History | None


Input = CommandGiven | TimerFired | SpeechFinished | Recalled


@dataclass(frozen=True, slots=True)
class DeviceFailed:
    """A device gave out mid-session; the person is told once and the session goes on.

    Handled by the session shell, never by the sequencer.
    """

    message: str


@dataclass(frozen=True, slots=True)
class Interrupted:
    """Ctrl-C pressed in a terminal, or a signal to end (SIGTERM, SIGHUP): the session ends at once.

    Handled by the session shell, never by the sequencer.
    """


@dataclass(frozen=True, slots=True)
class DeviceBack:
    """A device that gave out works again; the person is told once. Handled by the session shell."""

    message: str


Notice = DeviceFailed | DeviceBack


@dataclass(frozen=True, slots=True)
class Unheard:
    """An utterance that was not taken as a command: the recogniser's best guess and its score.

    Written to the event log by the session shell (a caregiver reads what was not understood),
    never handed to the sequencer.
    """

    guess: str  # the closest word or phrase, "" when nothing came close
    score: float  # 0 to 1
    clip: str = ""  # where the utterance was kept, to be heard or taught as a take; "" if it was not


Arrival = Input | Notice | Interrupted | Unheard


@dataclass(frozen=True, slots=True)
class Say:
    text: str
    cue: bool = False  # a countdown or halfway cue: short, may be a tone


@dataclass(frozen=True, slots=True)
class Silence:
    """Stop speaking at once and drop anything queued."""


@dataclass(frozen=True, slots=True)
class Adjust:
    """Change a speech setting to a level from -LEVELS to +LEVELS (0 is the person's own)."""

    setting: str  # "rate" or "volume"
    level: int


@dataclass(frozen=True, slots=True)
class Log:
    """One line of the event log: `type`, the monotonic instant `at`, and fields."""

    type: str
    at: float
    fields: dict[str, object] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Recall:
    """Read the diary again now and hand it back as `Recalled`, before anything else happens."""


@dataclass(frozen=True, slots=True)
class Finish:
    reason: str  # "completed" or "stopped"


Effect = Say | Silence | Adjust | Log | Recall | Finish
