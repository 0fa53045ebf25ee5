"""The session's state machine: events in, effects out, time passed in. Core module.

`start(now)` and `handle(event, now)` return the effects to perform; `deadline`
is when the sequencer next wants a `TimerFired`. It never sleeps or reads a clock,
so a ten-minute routine runs in a test in milliseconds. The routine itself (steps,
holds, questions) is `routine.Routine`; what a person says or presses is `controls.Controls`;
this adds the interface and the safety rules that watch over a session.
"""

from __future__ import annotations

from typing import assert_never

from . import phrases as P
from .controls import Controls
from .events import CommandGiven, Effect, Input, Recall, Recalled, SpeechFinished, TimerFired
from .manner import DEFAULT, Manner
from .safety import History, Watch
from .script import Script
from .state import After, Phase


class Sequencer(Controls):
    def __init__(self, script: Script, history: History | None = None, *, only: int | None = None,
                 manner: Manner = DEFAULT, closing: tuple[str, ...] = ()) -> None:
        """`history`: what the diary knows of earlier episodes (core/safety.py); none, a first session.
        `only`, `manner` and `closing`: as for the routine (`try`; the person's profile; a tip)."""
        history = history or History()
        super().__init__(script, guide_note=history.first_session, only=only, manner=manner, closing=closing)
        self._watch = Watch(history)

    # -- the interface ---------------------------------------------------------------

    def start(self, now: float) -> list[Effect]:
        self._watch.start(now)
        return super().start(now)

    @property
    def deadline(self) -> float | None:
        if self.phase is Phase.CONFIRM:
            return self._confirm_until
        if self.phase is Phase.SCAN:
            return self._scan.offer_until
        routine, ten = super().deadline, self._ten_minutes_at()
        if ten is None or self.phase is Phase.PAUSED:  # a pause never times out: said once it carries on
            return routine
        return ten if routine is None else min(routine, ten)

    def handle(self, event: Input, now: float) -> list[Effect]:
        self._now, self._out = now, []
        if self.phase is Phase.DONE:
            return []
        match event:
            case SpeechFinished():
                self._speech_finished()
            case TimerFired():
                self._timer_fired()
            case CommandGiven():
                self._command(event)
            case Recalled(history):
                self._watch.recall(history, now)
                self._finish()
            case _:
                assert_never(event)
        return self._out

    def _speech_finished(self) -> None:
        if self.phase is Phase.PAUSED and self._help_resumes:
            self._resume()
        else:
            super()._speech_finished()

    def _timer_fired(self) -> None:
        if self.phase is Phase.CONFIRM and self._now >= self._confirm_until:
            self._resume()
        elif self.phase is Phase.SCAN and self._now >= self._scan.offer_until:
            self._offer()
        elif self._ten_minutes_due():
            self._not_easing()
        else:
            super()._timer_fired()

    # -- safety: the ten-minute rule and the advice at the end (core/safety.py) -------

    def _ten_minutes_at(self) -> float | None:
        """When a relief session not yet eased says so and names the red flags (once)."""
        return None if self.eased or not self.relief or self.phase is Phase.DONE else self._watch.ten_minutes_at()

    def _ten_minutes_due(self) -> bool:
        """Only while the routine runs: not in a pause, a stop's question or the switch's offers."""
        at = self._ten_minutes_at()
        running = self.phase in (Phase.SPEAKING, Phase.HOLD, Phase.REST, Phase.ASK)
        return at is not None and self._now >= at and running

    def _not_easing(self) -> None:
        """Said as help is: the hold waits while it is said, then carries on."""
        self._watch.ten_minutes_said = True
        self._log("safety", rule="ten_minutes")
        self._help_resumes = self._help_resumes or self._frozen is None
        self._freeze()
        for text in (P.NOT_EASING, *P.RED_FLAGS):
            self._say(text)

    def _finish(self) -> None:
        """At the end of a relief session that meets a rule, and not within a week of the last time: the advice.
        The diary is read again first (`Recall`): sessions that ended while this one ran count too."""
        if self.relief and not self._watch.recalled:
            self._out.append(Recall())
            return
        if self.relief and not self._watch.weighed:
            met = self._watch.advice(self._now)
            if met:
                self._log("advice", rules=[rule.name for rule in met])
                self._speak((P.SEE_A_DOCTOR,), After.FINISH)
                return
        super()._finish()
