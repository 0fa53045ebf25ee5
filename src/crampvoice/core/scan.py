"""The single switch: choices offered one at a time, and which one a press picks. Core module.

A press of the one switch pauses the session and starts a scan; the sequencer asks this
module what to offer next and when, and takes what is on offer when the switch is pressed
again. Nothing is ever chosen for the person: after `SCAN_ROUNDS` rounds it stops offering.
"""

from __future__ import annotations

from dataclasses import dataclass

from . import phrases as P
from .commands import Command
from .manner import SCAN_OFFER_S

SCAN_ROUNDS = 2  # then it stops offering

LABELS = {Command.RESUME: "Carry on", Command.NEXT: "Next step", Command.REPEAT: "Hear it again",
          Command.BACK: "Go back", Command.HELP: "Help", Command.STOP: "Stop",
          Command.YES: "Yes", Command.NO: "No"}
WHILE_RUNNING = (Command.RESUME, Command.NEXT, Command.REPEAT, Command.BACK, Command.HELP, Command.STOP)
ANSWERS = (Command.YES, Command.NO)


@dataclass(slots=True)
class Scan:
    """One scan through `options`, in order, `offer_s` each, for `SCAN_ROUNDS` rounds."""

    options: tuple[Command, ...]
    offer_s: float = SCAN_OFFER_S  # each choice is on offer this long (the person's `scan`)
    index: int = -1
    rounds: int = 0
    offer_until: float = 0.0

    @property
    def on_offer(self) -> Command:
        return self.options[self.index]

    def offer_next(self, now: float) -> str | None:
        """Move to the next choice and return the words that offer it; None when the rounds are done."""
        self.index += 1
        if self.index == len(self.options):
            self.index, self.rounds = 0, self.rounds + 1
            if self.rounds >= SCAN_ROUNDS:
                return None
        self.offer_until = now + self.offer_s
        return P.SCAN_OFFER.format(LABELS[self.on_offer])
