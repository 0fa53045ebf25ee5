"""The relief-script model: what a caregiver wrote, as frozen values.

Core module: no I/O. `scriptfile.py` turns YAML text into these objects.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

FORMAT_VERSION = 1
MIN_HOLD_S = 1.0
MAX_HOLD_S = 600.0
MAX_SETS = 20
RATE_BOUNDS_WPM = (80, 350)
MAX_ROUNDS = 3  # "no: repeat" goes through the steps at most this many times in all
DEFAULT_ASK_WAIT_S = 20.0


class Kind(enum.Enum):
    """What a step asks the person to do. The value is the YAML key."""

    STRETCH = "stretch"
    MOVE = "move"
    MASSAGE = "massage"
    HEAT = "heat"
    SAY = "say"
    ASK = "ask"


class Answer(enum.Enum):
    YES = "yes"
    NO = "no"


class Then(enum.Enum):
    """Where an answer to a question leads."""

    CONTINUE = "continue"  # on to the next step
    REPEAT = "repeat"  # back to the first step, at most MAX_ROUNDS in all
    END = "end"  # the routine is over


@dataclass(frozen=True, slots=True)
class Step:
    kind: Kind
    text: str
    hold_s: float | None = None
    sets: int = 1
    rest_s: float = 0.0
    both_sides: bool = False
    # Questions only.
    on_yes: Then = Then.CONTINUE
    on_no: Then = Then.CONTINUE
    default: Answer = Answer.YES
    wait_s: float = DEFAULT_ASK_WAIT_S
    line: int = 0  # where the step starts in its file, for `show`


@dataclass(frozen=True, slots=True)
class Script:
    title: str
    steps: tuple[Step, ...]
    muscle: str = ""
    safety: tuple[str, ...] = ()
    name: str = ""  # the file's stem, e.g. "calf"
    voice: str | None = None  # an espeak-ng voice id; the person's settings win over it
    rate_wpm: int | None = None  # speaking pace; the person's settings win over it
    voice_at: tuple[int, int] = (0, 0)  # line and column of 'voice:' in its file, for `validate`
