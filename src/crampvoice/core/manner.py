"""How a session talks to one person, from their profile. Core module.

- `countdown`: what is said during a hold. `full`: "halfway", "one minute left" and the last
  seconds counted; `halfway`: the milestones but no counting; `none`: only the hold's end.
- `brief`: for someone who knows the routine: the instructions stay, and the explanations go
  ("We will do this twice.", "Say yes or no." after a question).
- `scan_s`: how long the one switch offers each choice.
- `answers_by`: how the person answers, so that hints name it: `voice` ("say carry on"), `keys`
  ("press c") with no microphone, or `switch`.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

SCAN_OFFER_S = 3.0
SCAN_BOUNDS_S = (1.0, 10.0)


class Countdown(enum.Enum):
    FULL = "full"
    HALFWAY = "halfway"
    NONE = "none"


@dataclass(frozen=True, slots=True)
class Manner:
    countdown: Countdown = Countdown.FULL
    brief: bool = False
    scan_s: float = SCAN_OFFER_S
    answers_by: str = "voice"  # a key of phrases.HINTS


DEFAULT = Manner()
