"""What a person says or presses during a routine: next, back, repeat, pause, stop, help, the
settings and the single switch's scan. Core module; `sequencer.Sequencer` builds on it."""

from __future__ import annotations

from typing import assert_never

from . import phrases as P
from .commands import Command
from .events import Adjust, CommandGiven, Silence
from .manner import DEFAULT, Manner
from .routine import Routine
from .scan import ANSWERS, WHILE_RUNNING, Scan
from .script import Answer, Script
from .state import After, Frozen, Phase, Place

CONFIRM_WAIT_S = 15.0  # "do you want to stop?" unanswered: carry on
LEVELS = 4  # slower/faster and quieter/louder go this many steps each way


class Controls(Routine):
    def __init__(self, script: Script, guide_note: bool = True, only: int | None = None, manner: Manner = DEFAULT,
                 closing: tuple[str, ...] = ()) -> None:
        super().__init__(script, guide_note=guide_note, only=only, manner=manner, closing=closing)
        self.asleep = False
        self.eased = False  # the person said yes to "is the cramp easing?" (a default taken is no answer)
        self.levels = {"rate": 0, "volume": 0}
        self._frozen: Frozen | None = None
        self._help_resumes = False
        self._confirm_until = 0.0
        self._scan = Scan(())
        self._scan_base = Phase.PAUSED

    def remaining_s(self) -> float | None:
        """Seconds left on the hold or rest, frozen while paused."""
        if self._timer is None:
            return None
        until = self._frozen.at if self._frozen is not None else self._now
        return max(0.0, self._timer.ends_at - until)

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
                self._say(self.hints.paused)
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
            for text in (self.hints.help, *notes) if c is Command.HELP else (*P.RED_FLAGS, self.hints.emergency_pause):
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
        if target < self._first:
            self._say(P.FIRST_STEP)
        self._enter(Place(max(self._first, target)))

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
        self._cut_notes()
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
        self._say(self.hints.confirm_stop)

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
            self.eased = answer is Answer.YES
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
