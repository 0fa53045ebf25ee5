"""What the sequencer remembers between events: its phase, its place, its timer. Core module."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

from . import phrases as P
from .manner import Countdown


class Phase(enum.Enum):
    SPEAKING = "speaking"  # saying something; `after` is what comes once it is said
    HOLD = "hold"
    REST = "rest"
    ASK = "ask"  # waiting for yes or no
    PAUSED = "paused"
    CONFIRM = "confirm"  # waiting for "yes, stop" or "no"
    SCAN = "scan"  # the switch is offering choices one at a time
    DONE = "done"


class After(enum.Enum):
    ENTER = "enter"  # announce the pending place
    HOLD = "hold"
    REST = "rest"
    NEXT_STEP = "next_step"
    ASK = "ask"
    FINISH = "finish"


@dataclass(frozen=True, slots=True)
class Place:
    step: int = 0
    side: int = 0
    set: int = 0


@dataclass(slots=True)
class Timer:
    """A hold or a rest running against the monotonic clock, with the cues spoken during it."""

    kind: str  # "hold" or "rest"
    length_s: float
    ends_at: float
    cues: list[tuple[float, str]] = field(default_factory=list)

    @classmethod
    def start(cls, kind: str, length_s: float, now: float, countdown: Countdown = Countdown.FULL) -> Timer:
        """A hold gets "halfway", "one minute left" and a countdown when it is long enough for them,
        as far as the person's `countdown` asks."""
        ends = now + length_s
        timer = cls(kind, length_s, ends)
        if kind == "hold" and countdown is not Countdown.NONE:
            if length_s >= 20:
                timer.cues.append((now + length_s / 2, P.HALFWAY))
            if length_s >= 90:
                timer.cues.append((ends - 60, P.ONE_MINUTE_LEFT))
            count = 0 if countdown is Countdown.HALFWAY else 5 if length_s >= 10 else 3 if length_s >= 4 else 0
            timer.cues.extend((ends - k, f"{P.number(k).capitalize()}.") for k in range(count, 0, -1))
            timer.cues.sort()
        return timer

    def shift(self, by_s: float) -> None:
        self.ends_at += by_s
        self.cues = [(at + by_s, text) for at, text in self.cues]


@dataclass(frozen=True, slots=True)
class Frozen:
    """Where a pause, a stop question or help came in, to go back to."""

    phase: Phase
    after: After
    at: float
