"""The session's state machine: events in, effects out, time passed in. Core module.

`start(now)` and `handle(event, now)` return the effects to perform; `deadline`
is when the sequencer next wants a `TimerFired`. It never sleeps or reads a clock,
so a ten-minute routine runs in a test in milliseconds.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field, replace
from typing import assert_never

from . import phrases as P
from .commands import Command
from .events import Adjust, CommandGiven, Effect, Finish, Input, Log, Say, Silence, SpeechFinished, TimerFired
from .script import MAX_ROUNDS, Answer, Kind, Script, Step, Then

CONFIRM_WAIT_S = 15.0  # "do you want to stop?" unanswered: carry on
SCAN_OFFER_S = 3.0  # the switch offers each choice this long
SCAN_ROUNDS = 2  # then stops offering (nothing is chosen for the person)
LEVELS = 4  # slower/faster and quieter/louder go this many steps each way

_SCAN_LABELS = {Command.RESUME: "Carry on", Command.NEXT: "Next step", Command.REPEAT: "Hear it again",
                Command.BACK: "Go back", Command.HELP: "Help", Command.STOP: "Stop",
                Command.YES: "Yes", Command.NO: "No"}
_SCAN_RUNNING = (Command.RESUME, Command.NEXT, Command.REPEAT, Command.BACK, Command.HELP, Command.STOP)


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
class _Timer:
    kind: str  # "hold" or "rest"
    length_s: float
    ends_at: float
    cues: list[tuple[float, str]] = field(default_factory=list)

    def shift(self, by_s: float) -> None:
        self.ends_at += by_s
        self.cues = [(at + by_s, text) for at, text in self.cues]


@dataclass(frozen=True, slots=True)
class _Frozen:
    """Where a pause, a stop question or help came in, to go back to."""

    phase: Phase
    after: After
    at: float


class Sequencer:
    def __init__(self, script: Script) -> None:
        self.script = script
        self.phase = Phase.SPEAKING
        self.after = After.ENTER
        self.place = Place()
        self.asleep = False
        self.levels = {"rate": 0, "volume": 0}
        self._pending = Place()
        self._prompt: tuple[str, ...] = ()
        self._timer: _Timer | None = None
        self._frozen: _Frozen | None = None
        self._help_resumes = False
        self._ask_until = 0.0
        self._confirm_until = 0.0
        self._scan: tuple[Command, ...] = ()
        self._scan_base = Phase.PAUSED
        self._scan_i = 0
        self._scan_rounds = 0
        self._scan_at = 0.0
        self._round = 1
        self._end_reason = "completed"
        self._now = 0.0
        self._out: list[Effect] = []

    # -- the interface ---------------------------------------------------------------

    @property
    def finished(self) -> bool:
        return self.phase is Phase.DONE

    @property
    def step(self) -> Step:
        return self.script.steps[self.place.step]

    @property
    def deadline(self) -> float | None:
        if self.phase in (Phase.HOLD, Phase.REST) and self._timer is not None:
            return min([self._timer.ends_at, *(at for at, _ in self._timer.cues)])
        return {Phase.ASK: self._ask_until, Phase.CONFIRM: self._confirm_until,
                Phase.SCAN: self._scan_at}.get(self.phase)

    def start(self, now: float) -> list[Effect]:
        self._now, self._out = now, []
        self._log("start", title=self.script.title, steps=len(self.script.steps))
        notes = self.script.safety or P.NO_SAFETY_NOTES
        self._speak((f"{self.script.title}.", P.INTRO_GUIDE, *notes), After.ENTER)
        return self._out

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
            case _:
                assert_never(event)
        return self._out

    def remaining_s(self) -> float | None:
        """Seconds left on the hold or rest, frozen while paused."""
        if self._timer is None:
            return None
        until = self._frozen.at if self._frozen is not None else self._now
        return max(0.0, self._timer.ends_at - until)

    # -- the routine ------------------------------------------------------------------

    def _speak(self, texts: tuple[str, ...], after: After) -> None:
        self.phase, self.after, self._prompt = Phase.SPEAKING, after, texts
        self._out.extend(Say(t) for t in texts)

    def _say(self, text: str, cue: bool = False) -> None:
        self._out.append(Say(text, cue))

    def _log(self, type_: str, **fields: object) -> None:
        self._out.append(Log(type_, self._now, fields))

    def _speech_finished(self) -> None:
        if self.phase is Phase.PAUSED and self._help_resumes:
            self._resume()
            return
        if self.phase is not Phase.SPEAKING:
            return
        match self.after:
            case After.ENTER:
                self._enter(self._pending)
            case After.HOLD | After.REST:
                self._start_timer(self.after.value)
            case After.NEXT_STEP:
                self._next_step()
            case After.ASK:
                self.phase, self._ask_until = Phase.ASK, self._now + self.step.wait_s
            case After.FINISH:
                self._log("end", reason=self._end_reason)
                self._out.append(Finish(self._end_reason))
                self.phase = Phase.DONE
            case _:
                assert_never(self.after)

    def _enter(self, place: Place) -> None:
        self.place, self._timer = place, None
        step, n = self.step, len(self.script.steps)
        if place.side == 0 and place.set == 0:
            self._log("step", index=place.step + 1, of=n, kind=step.kind.value, text=step.text)
        if step.kind is Kind.ASK:
            self._log("ask", index=place.step + 1, text=step.text)
            self._speak((f"{step.text} {P.ASK_SUFFIX}",), After.ASK)
        elif step.hold_s is None:
            self._speak((step.text,), After.NEXT_STEP)
        elif place.set > 0:
            self._speak((f"{P.SET_OF.format(P.number(place.set + 1), P.number(step.sets))} "
                         f"{P.hold(step.kind, step.hold_s)}",), After.HOLD)
        else:
            parts = [P.SWITCH_SIDES if place.side else P.BOTH_SIDES if step.both_sides else "",
                     step.text, P.hold(step.kind, step.hold_s),
                     P.SET_COUNT.format(P.times(step.sets)) if step.sets > 1 else ""]
            self._speak((" ".join(p for p in parts if p),), After.HOLD)

    def _start_timer(self, kind: str) -> None:
        step, place = self.step, self.place
        length = (step.hold_s if kind == "hold" else step.rest_s) or 0.0
        ends = self._now + length
        timer = _Timer(kind, length, ends)
        if kind == "hold":
            if length >= 20:
                timer.cues.append((self._now + length / 2, P.HALFWAY))
            if length >= 90:
                timer.cues.append((ends - 60, P.ONE_MINUTE_LEFT))
            count = 5 if length >= 10 else 3 if length >= 4 else 0
            timer.cues.extend((ends - k, f"{P.number(k).capitalize()}.") for k in range(count, 0, -1))
            timer.cues.sort()
        self._timer, self.phase = timer, Phase.HOLD if kind == "hold" else Phase.REST
        self._log(f"{kind}_start", index=place.step + 1, seconds=length, set=place.set + 1,
                  side=place.side + 1)

    def _timer_fired(self) -> None:
        now = self._now
        if self.phase is Phase.ASK and now >= self._ask_until:
            answer = self.step.default
            self._say(P.NO_ANSWER.format(answer.value))
            self._answer(answer)
        elif self.phase is Phase.CONFIRM and now >= self._confirm_until:
            self._resume()
        elif self.phase is Phase.SCAN and now >= self._scan_at:
            self._offer()
        elif self.phase in (Phase.HOLD, Phase.REST) and self._timer is not None:
            timer = self._timer
            while timer.cues and timer.cues[0][0] <= now:
                self._say(timer.cues.pop(0)[1], cue=True)
            if now >= timer.ends_at:
                self._timer_ended(timer)

    def _timer_ended(self, timer: _Timer) -> None:
        step, place = self.step, self.place
        self._log(f"{timer.kind}_end", index=place.step + 1, seconds=timer.length_s,
                  set=place.set + 1, side=place.side + 1)
        self._timer = None
        if timer.kind == "rest":
            self._enter(self._pending)
            return
        following = self._following(place)
        ending = P.end_of_hold(step.kind)
        if following is None:
            self._speak((ending,), After.NEXT_STEP)
        elif step.rest_s > 0:
            self._pending = following
            self._speak((f"{ending} {P.REST.format(P.duration(step.rest_s))}",), After.REST)
        else:
            self._pending = following
            self._speak((ending,), After.ENTER)

    def _following(self, place: Place) -> Place | None:
        """The next set or side of the same step, if there is one."""
        step = self.step
        if place.set + 1 < step.sets:
            return replace(place, set=place.set + 1)
        if step.both_sides and place.side == 0:
            return Place(place.step, side=1)
        return None

    def _next_step(self) -> None:
        if self.place.step + 1 < len(self.script.steps):
            self._enter(Place(self.place.step + 1))
        else:
            self._timer = None
            self._speak((P.THE_END,), After.FINISH)

    def _answer(self, answer: Answer) -> None:
        step = self.step
        then = step.on_yes if answer is Answer.YES else step.on_no
        self._log("answer", index=self.place.step + 1, answer=answer.value)
        match then:
            case Then.CONTINUE:
                self._next_step()
            case Then.END:
                self._speak((P.THE_END,), After.FINISH)
            case Then.REPEAT if self._round < MAX_ROUNDS:
                self._round += 1
                self._pending = Place()
                self._speak((P.ROUND_AGAIN,), After.ENTER)
            case Then.REPEAT:
                self._speak((P.ROUNDS_DONE.format(P.times(self._round)),), After.NEXT_STEP)
            case _:
                assert_never(then)

    # -- commands --------------------------------------------------------------------

    def _command(self, event: CommandGiven) -> None:
        c = event.command
        if event.by_voice and self.asleep and c is not Command.WAKE:
            self._log("ignored", command=c.value, heard=event.heard, reason="asleep")
            return
        self._log("command", command=c.value, by="voice" if event.by_voice else "key", heard=event.heard)
        if self.phase is Phase.SCAN:
            if c is Command.SWITCH:
                c = self._scan[self._scan_i]
            self._end_scan(chosen=True)
        self._obey(c)

    def _obey(self, c: Command) -> None:  # noqa: C901 - one branch a command reads best as a table
        running = self.phase in (Phase.SPEAKING, Phase.HOLD, Phase.REST, Phase.ASK)
        if c is Command.NEXT or c is Command.BACK:
            self._out.append(Silence())
            self._frozen, self._help_resumes = None, False
            if c is Command.NEXT:
                self._next_step()
            else:
                if self.place.step == 0:
                    self._say(P.FIRST_STEP)
                self._enter(Place(max(0, self.place.step - 1)))
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
        else:
            assert_never(c)

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
            self._frozen = _Frozen(self.phase, self.after, self._now)
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
        return frozenset(set(Command) - {Command.SWITCH, Command.WAKE, Command.YES, Command.NO} | answers)

    # -- the single switch: choices offered one at a time ----------------------------

    def _asking(self) -> bool:
        """A question is being asked or waits for its answer."""
        return self.phase is Phase.ASK or (self.phase is Phase.SPEAKING and self.after is After.ASK)

    def _switch(self, running: bool) -> None:
        if self.phase is Phase.CONFIRM or self._asking():
            base = Phase.CONFIRM if self.phase is Phase.CONFIRM else Phase.ASK
            self._out.append(Silence())
            self._begin_scan(base, (Command.YES, Command.NO))
        elif running or self.phase is Phase.PAUSED:
            self._freeze()
            self._help_resumes = False
            self._begin_scan(Phase.PAUSED, _SCAN_RUNNING)

    def _begin_scan(self, base: Phase, options: tuple[Command, ...]) -> None:
        self.phase, self._scan_base, self._scan, self._scan_i = Phase.SCAN, base, options, -1
        self._scan_rounds = 0
        self._offer()

    def _offer(self) -> None:
        self._scan_i += 1
        if self._scan_i == len(self._scan):
            self._scan_i, self._scan_rounds = 0, self._scan_rounds + 1
            if self._scan_rounds >= SCAN_ROUNDS:
                self._end_scan(chosen=False)
                return
        self._say(P.SCAN_OFFER.format(_SCAN_LABELS[self._scan[self._scan_i]]))
        self._scan_at = self._now + SCAN_OFFER_S

    def _end_scan(self, chosen: bool) -> None:
        self.phase = self._scan_base
        if self.phase is Phase.ASK:
            self._ask_until = self._now + self.step.wait_s
        elif self.phase is Phase.CONFIRM:
            self._confirm_until = self._now + CONFIRM_WAIT_S
        elif not chosen:
            self._say(P.SCAN_PAUSED)
