"""The session's state machine: events in, effects out, time passed in. Core module.

`start(now)` and `handle(event, now)` return the effects to perform; `deadline`
is when the sequencer next wants a `TimerFired`. It never sleeps or reads a clock,
so a ten-minute routine runs in a test in milliseconds. The routine itself (steps,
holds, questions) is `routine.Routine`; this adds what a person says or presses.
"""

from __future__ import annotations

from typing import assert_never

from . import phrases as P
from .commands import Command
from .events import Adjust, CommandGiven, Effect, Input, Recall, Recalled, Silence, SpeechFinished, TimerFired
from .manner import DEFAULT, Manner
from .routine import Routine
from .safety import LONG_S, History, Span, may_advise, rules_met
from .scan import ANSWERS, WHILE_RUNNING, Scan
from .script import Answer, Script
from .state import After, Frozen, Phase, Place

CONFIRM_WAIT_S = 15.0  # "do you want to stop?" unanswered: carry on
LEVELS = 4  # slower/faster and quieter/louder go this many steps each way


class Sequencer(Routine):
    def __init__(self, script: Script, history: History | None = None, *, whole: bool = True,
                 manner: Manner = DEFAULT, closing: tuple[str, ...] = ()) -> None:
        """`history`: what the diary knows of earlier episodes (core/safety.py); none, a first session.
        `whole`, `manner` and `closing`: as for the routine (`try`; the person's profile; a tip)."""
        history = history or History()
        super().__init__(script, guide_note=history.first_session, whole=whole, manner=manner, closing=closing)
        self._history = history
        self._started_at = 0.0
        self._eased = False  # the person said yes to "is the cramp easing?" (a default taken is no answer)
        self._ten_minutes_said = False
        self._recalled = False
        self._advice_weighed = False
        self.asleep = False
        self.levels = {"rate": 0, "volume": 0}
        self._frozen: Frozen | None = None
        self._help_resumes = False
        self._confirm_until = 0.0
        self._scan = Scan(())
        self._scan_base = Phase.PAUSED

    # -- the interface ---------------------------------------------------------------

    def start(self, now: float) -> list[Effect]:
        self._started_at, self._history = now, self._history.shifted(now)
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
                if history is not None:
                    self._history = history.shifted(now)
                self._finish()
            case _:
                assert_never(event)
        return self._out

    def remaining_s(self) -> float | None:
        """Seconds left on the hold or rest, frozen while paused."""
        if self._timer is None:
            return None
        until = self._frozen.at if self._frozen is not None else self._now
        return max(0.0, self._timer.ends_at - until)

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
        if not self.relief or self._eased or self._ten_minutes_said or self.phase is Phase.DONE:
            return None
        return self._started_at + LONG_S

    def _ten_minutes_due(self) -> bool:
        """Only while the routine runs: not in a pause, a stop's question or the switch's offers."""
        at = self._ten_minutes_at()
        running = self.phase in (Phase.SPEAKING, Phase.HOLD, Phase.REST, Phase.ASK)
        return at is not None and self._now >= at and running

    def _not_easing(self) -> None:
        """Said as help is: the hold waits while it is said, then carries on."""
        self._ten_minutes_said = True
        self._log("safety", rule="ten_minutes")
        self._help_resumes = self._help_resumes or self._frozen is None
        self._freeze()
        for text in (P.NOT_EASING, *P.RED_FLAGS):
            self._say(text)

    def _finish(self) -> None:
        """At the end of a relief session that meets a rule, and not within a week of the last time: the advice.
        The diary is read again first (`Recall`): sessions that ended while this one ran count too."""
        if self.relief and not self._recalled:
            self._recalled = True
            self._out.append(Recall())
            return
        if self.relief and not self._advice_weighed:
            self._advice_weighed = True
            spans = (*self._history.past, Span(self._started_at, self._now - self._started_at))
            met = rules_met(spans, self._now)
            if met and may_advise(self._history.advised_at, self._now):
                self._log("advice", rules=[rule.name for rule in met])
                self._speak((P.SEE_A_DOCTOR,), After.FINISH)
                return
        super()._finish()

    # -- commands --------------------------------------------------------------------

    def _command(self, event: CommandGiven) -> None:
        c = event.command
        if event.by_voice and self.asleep and c is not Command.WAKE:
            self._log("ignored", command=c.value, heard=event.heard, reason="asleep")
            return
        self._log("command", command=c.value, by=_by(event), heard=event.heard)
        if self.phase is Phase.SCAN:
            if c is Command.SWITCH:
                c = self._scan.on_offer
            self._end_scan(chosen=True)
        self._obey(c)

    def _obey(self, c: Command) -> None:  # noqa: C901 - one branch a command reads best as a table
        running = self.phase in (Phase.SPEAKING, Phase.HOLD, Phase.REST, Phase.ASK)
        if c is Command.NEXT or c is Command.BACK:
            self._out.append(Silence())
            self._frozen, self._help_resumes = None, False
            if c is Command.NEXT:
                self._next()
            else:
                self._back()
        elif c is Command.REPEAT:
            self._repeat()
        elif c is Command.PAUSE:
            if running:
                self._freeze()
                self._say(P.PAUSED)
            elif self.phase is Phase.PAUSED:
                self._say(P.STILL_PAUSED)
        elif c is Command.RESUME:
            if self.phase in (Phase.PAUSED, Phase.CONFIRM):
                self._resume()
            else:
                self._say(P.NOT_PAUSED)
        elif c is Command.STOP:
            self._stop_asked()
        elif c is Command.YES or c is Command.NO:
            self._yes_no(Answer(c.value))
        elif c is Command.HELP or c is Command.EMERGENCY:
            self._help_resumes = c is Command.HELP and self._frozen is None
            self._freeze()
            self.phase = Phase.PAUSED
            notes = self.script.safety or P.NO_SAFETY_NOTES
            for text in (P.HELP, *notes) if c is Command.HELP else (*P.RED_FLAGS, P.EMERGENCY_PAUSE):
                self._say(text)
        elif c is Command.TIME:
            left = self.remaining_s()
            self._say(P.LEFT.format(P.duration(left)).capitalize() if left is not None else P.NOTHING_TIMED)
        elif c in (Command.SLOWER, Command.FASTER, Command.LOUDER, Command.QUIETER):
            self._adjust(c)
        elif c is Command.SLEEP or c is Command.WAKE:
            self.asleep = c is Command.SLEEP
            self._say(P.ASLEEP if self.asleep else P.AWAKE)
        elif c is Command.SWITCH:
            self._switch(running)
        elif c is Command.START:
            pass  # a start phrase (standby's) typed or heard while a session already runs: nothing to do
        else:
            assert_never(c)

    def _next(self) -> None:
        """Finish what is being said or held and go on: to the step being announced, if one is."""
        if self.after is After.FINISH:  # the closing lines: nothing comes after them
            self._finish()
        elif self._announcing():  # the opening notes: "next" starts step 1, it does not skip it
            self._enter(self._pending)
        else:
            self._next_step()

    def _back(self) -> None:
        """The step before the one the person is at; from the closing lines, the last step said."""
        if self.after is After.FINISH:
            self._end_reason, target = "completed", self.place.step
        else:
            target = (self._pending.step if self._announcing() else self.place.step) - 1
        if target < 0:
            self._say(P.FIRST_STEP)
        self._enter(Place(max(0, target)))

    def _repeat(self) -> None:
        if self.phase is Phase.PAUSED:  # "say it again" carries on from where it paused
            self._resume()
            if self.phase not in (Phase.HOLD, Phase.REST):
                return
        if self.phase in (Phase.SPEAKING, Phase.ASK):
            self._out.append(Silence())
            self._speak(self._prompt, After.ASK if self.phase is Phase.ASK else self.after)
        elif self.phase is Phase.CONFIRM:
            self._stop_asked()
        else:
            self._say(self.step.text)

    def _freeze(self) -> None:
        """Stop the clock and the voice; remember where we were."""
        self._out.append(Silence())
        if self._frozen is None and self.phase is not Phase.DONE:
            self._frozen = Frozen(self.phase, self.after, self._now)
        self.phase = Phase.PAUSED

    def _resume(self) -> None:
        frozen, self._frozen, self._help_resumes = self._frozen, None, False
        if frozen is None:
            return
        self._out.append(Silence())
        if frozen.phase in (Phase.HOLD, Phase.REST) and self._timer is not None:
            self._timer.shift(self._now - frozen.at)
            self.phase = frozen.phase
            left = P.LEFT.format(P.duration(max(0.0, self._timer.ends_at - self._now)))
            self._say(f"{P.RESUMED} {left.capitalize()}")
        else:
            self._speak(self._prompt, After.ASK if frozen.phase is Phase.ASK else frozen.after)

    def _stop_asked(self) -> None:
        if self.phase is Phase.CONFIRM:
            self._stop()
            return
        self._freeze()
        self.phase, self._confirm_until = Phase.CONFIRM, self._now + CONFIRM_WAIT_S
        self._say(P.CONFIRM_STOP)

    def _stop(self) -> None:
        self._out.append(Silence())
        self._frozen, self._timer, self._end_reason = None, None, "stopped"
        self._speak((P.STOPPED,), After.FINISH)

    def _yes_no(self, answer: Answer) -> None:
        if self.phase is Phase.CONFIRM:
            if answer is Answer.YES:
                self._stop()
            else:
                self._resume()
        elif self._asking():
            self._out.append(Silence())
            self._eased = answer is Answer.YES
            self._answer(answer)
        else:
            self._say(P.NO_QUESTION)

    def _adjust(self, c: Command) -> None:
        setting = "rate" if c in (Command.SLOWER, Command.FASTER) else "volume"
        up = c in (Command.FASTER, Command.LOUDER)
        level = self.levels[setting] + (1 if up else -1)
        words = P.SETTING[setting]
        if abs(level) > LEVELS:
            self._say(words[3] if up else words[2])
            return
        self.levels[setting] = level
        self._out.append(Adjust(setting, level))
        self._log("setting", setting=setting, level=level)
        self._say(words[1] if up else words[0])

    def listening_for(self) -> frozenset[Command]:
        """The commands worth listening for now: only "wake up" while asleep, yes/no only at a question."""
        if self.asleep:
            return frozenset({Command.WAKE})
        answers = {Command.YES, Command.NO} if self.phase is Phase.CONFIRM or self._asking() else set()
        return frozenset(set(Command) - {Command.SWITCH, Command.WAKE, Command.YES, Command.NO, Command.START}
                         | answers)

    # -- the single switch: choices offered one at a time ----------------------------

    def _asking(self) -> bool:
        """A question is being asked or waits for its answer."""
        return self.phase is Phase.ASK or (self.phase is Phase.SPEAKING and self.after is After.ASK)

    def _switch(self, running: bool) -> None:
        if self.phase is Phase.CONFIRM or self._asking():
            base = Phase.CONFIRM if self.phase is Phase.CONFIRM else Phase.ASK
            self._out.append(Silence())
            self._begin_scan(base, ANSWERS)
        elif running or self.phase is Phase.PAUSED:
            self._freeze()
            self._help_resumes = False
            self._begin_scan(Phase.PAUSED, WHILE_RUNNING)

    def _begin_scan(self, base: Phase, options: tuple[Command, ...]) -> None:
        self.phase, self._scan_base, self._scan = Phase.SCAN, base, Scan(options, self.manner.scan_s)
        self._offer()

    def _offer(self) -> None:
        offer = self._scan.offer_next(self._now)
        if offer is None:
            self._end_scan(chosen=False)
        else:
            self._say(offer)

    def _end_scan(self, chosen: bool) -> None:
        self.phase = self._scan_base
        if not chosen:  # nothing picked: paused, and said so, also at a question or a stop's question
            if self.phase is Phase.ASK:
                self._freeze()  # carrying on asks the question again; its default is not taken meanwhile
            self.phase = Phase.PAUSED
            self._say(P.SCAN_PAUSED)
        elif self.phase is Phase.ASK:
            self._ask_until = self._now + self.step.wait_s
        elif self.phase is Phase.CONFIRM:
            self._confirm_until = self._now + CONFIRM_WAIT_S


def _by(event: CommandGiven) -> str:
    """How a command came: "voice", a "key", or a phrase "typed" as a line from a pipe."""
    return "voice" if event.by_voice else "typed" if event.typed else "key"
