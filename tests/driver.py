"""Drives the sequencer as the session loop does, with time as data."""

from __future__ import annotations

from crampvoice.core.commands import Command
from crampvoice.core.events import (
    CommandGiven,
    Effect,
    Finish,
    Log,
    Recall,
    Recalled,
    Say,
    Silence,
    SpeechFinished,
    TimerFired,
)
from crampvoice.core.manner import DEFAULT, Manner
from crampvoice.core.safety import History
from crampvoice.core.script import Script
from crampvoice.core.scriptfile import parse_script
from crampvoice.core.sequencer import Sequencer
from crampvoice.core.state import Phase

SCRIPT_YAML = """\
crampvoice: 1
title: Test cramp
safety: [Get help if it lasts more than ten minutes.]
steps:
  - stretch: Pull your toes up.
    hold: 30
    repeat: 2
    rest: 10
    sides: both
  - massage: Rub the calf.
    hold: 20
  - ask: Is it easing?
    no: repeat
    wait: 20
  - say: Sip some water.
"""


def make_script(text: str = SCRIPT_YAML) -> Script:
    return parse_script(text.encode(), "test.yaml", name="test")


class Driver:
    def __init__(self, script: Script | None = None, history: History | None = None, *, only: int | None = None,
                 manner: Manner = DEFAULT, closing: tuple[str, ...] = ()) -> None:
        self.seq = Sequencer(script or make_script(), history, only=only, manner=manner, closing=closing)
        self.now = 0.0
        self.recalled: History | None = None  # what the diary says when read again at the end
        self.effects: list[Effect] = []
        self._speaking = False
        self._take(self.seq.start(self.now))

    def _take(self, effects: list[Effect]) -> list[Effect]:
        if any(isinstance(e, Recall) for e in effects):  # answered at once, as the session does
            rest: list[Effect] = [e for e in effects if not isinstance(e, Recall)]
            effects = rest + self.seq.handle(Recalled(self.recalled), self.now)
        self.effects.extend(effects)
        if any(isinstance(e, Say) for e in effects):
            self._speaking = True
        return effects

    def command(self, command: Command, by_voice: bool = False) -> list[Effect]:
        return self._take(self.seq.handle(CommandGiven(command, by_voice, command.value), self.now))

    def speech_done(self) -> list[Effect]:
        self._speaking = False
        return self._take(self.seq.handle(SpeechFinished(), self.now))

    def tick(self, to: float) -> list[Effect]:
        self.now = to
        return self._take(self.seq.handle(TimerFired(), self.now))

    def settle(self) -> None:
        """Let all speech finish, as an instant speaker would."""
        while self._speaking and not self.seq.finished:
            self.speech_done()

    def run(self, until_phase: Phase | None = None, limit: int = 10_000) -> None:
        """Speech finishes at once; timers fire on time; stops at `until_phase` (a hold or rest once what
        is said as it begins, such as the notes, is said), at the end, or at a wait."""
        timed = (Phase.HOLD, Phase.REST)
        for _ in range(limit):
            if self.seq.finished or (self.seq.phase is until_phase and not (self._speaking and until_phase in timed)):
                return
            if self._speaking:
                self.speech_done()
                continue
            deadline = self.seq.deadline
            if deadline is None:
                return
            self.tick(max(self.now, deadline))
        raise AssertionError("the session went on too long")

    def said(self) -> list[str]:
        return [e.text for e in self.effects if isinstance(e, Say)]

    def logs(self, type_: str) -> list[Log]:
        return [e for e in self.effects if isinstance(e, Log) and e.type == type_]

    def silenced(self, effects: list[Effect]) -> bool:
        return any(isinstance(e, Silence) for e in effects)

    def finish(self) -> Finish | None:
        return next((e for e in self.effects if isinstance(e, Finish)), None)
