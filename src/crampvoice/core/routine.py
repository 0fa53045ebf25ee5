"""A session with nobody giving commands: steps, sets, sides, holds, rests and questions. Core module.

`Routine` is what `crampvoice show` simulates and what a session does on its own; the
`Sequencer` adds what people can say or press (pause, next, stop, the switch) on top.
Time is passed in; nothing here sleeps or reads a clock.
"""

from __future__ import annotations

from dataclasses import replace
from typing import assert_never

from . import phrases as P
from .events import Effect, Finish, Log, Say
from .manner import DEFAULT, Manner
from .script import MAX_ROUNDS, Answer, Kind, Script, Step, Then
from .state import After, Phase, Place, Timer


class Routine:
    def __init__(self, script: Script, guide_note: bool = True, only: int | None = None, manner: Manner = DEFAULT,
                 closing: tuple[str, ...] = ()) -> None:
        """`guide_note`: "I am a guide, not a doctor", said at a person's first session. `only`: the one
        step tried (`try`, its index), with no opening notes or closing lines; None: the whole routine.
        `manner`: how this person is talked to (their profile). `closing`: said after the last line of a
        routine that ran to its end, this time only (a tip, once the cramp has eased)."""
        self.script = script
        self.guide_note = guide_note
        self._only = only
        self.manner = manner
        self._closing = closing
        self.phase = Phase.SPEAKING
        self.after = After.ENTER
        self.place = Place()
        self._pending = Place()
        self._entered = False  # a step has begun: the opening notes are over
        self._prompt: tuple[str, ...] = ()
        self._notes: tuple[str, ...] = ()  # the guide and safety notes, said once the first step is under way
        self._notes_playing: tuple[str, ...] = ()  # said during a hold: its cues wait, and so does its end
        self._timer: Timer | None = None
        self._ask_until = 0.0
        self._round = 1
        self._end_reason = "completed"
        self._now = 0.0
        self._out: list[Effect] = []

    @property
    def finished(self) -> bool:
        return self.phase is Phase.DONE

    @property
    def relief(self) -> bool:
        """A relief session asks whether the cramp eases; a routine with no question (bedtime) does not."""
        return any(step.kind is Kind.ASK for step in self.script.steps)

    @property
    def hints(self) -> P.Hints:
        return P.HINTS[self.manner.answers_by]

    @property
    def step(self) -> Step:
        return self.script.steps[self.place.step]

    @property
    def deadline(self) -> float | None:
        """When the routine next wants a `TimerFired`: a cue, the end of a hold, an unanswered question."""
        if self.phase in (Phase.HOLD, Phase.REST) and self._timer is not None and not self._notes_playing:
            return min([self._timer.ends_at, *(at for at, _ in self._timer.cues)])
        return self._ask_until if self.phase is Phase.ASK else None

    def start(self, now: float) -> list[Effect]:
        self._now, self._out = now, []
        self._log("start", title=self.script.title, steps=len(self.script.steps), script=self.script.name,
                  muscle=self.script.muscle, relief=self.relief)
        if self._only is not None:
            self._enter(Place(self._only))
            return self._out
        guide = (P.INTRO_GUIDE,) if self.guide_note else ()
        self._notes = (*guide, *(self.script.safety or P.NO_SAFETY_NOTES))
        self._speak((f"{self.script.title}.",), After.ENTER)  # the first instruction within seconds
        return self._out

    @property
    def _first(self) -> int:
        """The first step: of the routine, or the one tried."""
        return self._only or 0

    def _take_notes(self) -> tuple[str, ...]:
        notes, self._notes = self._notes, ()
        return notes

    def _cut_notes(self) -> None:
        """Notes cut short by a command are said again at the next hold: none is ever dropped."""
        self._notes, self._notes_playing = self._notes_playing + self._notes, ()

    def _speak(self, texts: tuple[str, ...], after: After) -> None:
        self.phase, self.after, self._prompt = Phase.SPEAKING, after, texts
        self._out.extend(Say(t) for t in texts)

    def _say(self, text: str, cue: bool = False) -> None:
        self._out.append(Say(text, cue))

    def _log(self, type_: str, **fields: object) -> None:
        self._out.append(Log(type_, self._now, fields))

    def _speech_finished(self) -> None:
        if self._notes_playing and self.phase is Phase.HOLD and self._timer is not None:
            self._notes_playing, timer = (), self._timer  # the notes are said: the hold goes on, or ends
            while timer.cues and timer.cues[0][0] <= self._now:
                timer.cues.pop(0)  # a cue due meanwhile is stale now
            if self._now >= timer.ends_at:
                self._timer_ended(timer)
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
                self._finish()
            case _:
                assert_never(self.after)

    def _finish(self) -> None:
        self._log("end", reason=self._end_reason)
        self._out.append(Finish(self._end_reason))
        self.phase = Phase.DONE

    def _announcing(self) -> bool:
        """Words before a step that has not begun yet: the opening notes, or "let's go again"."""
        return self.after is After.ENTER and (not self._entered or self._pending.step != self.place.step)

    def _enter(self, place: Place) -> None:
        self.place, self._timer, self._entered = place, None, True
        self._cut_notes()
        step, n = self.step, len(self.script.steps)
        if place.side == 0 and place.set == 0:
            self._log("step", index=place.step + 1, of=n, kind=step.kind.value, text=step.text)
        if step.kind is Kind.ASK:  # with no hold before it to say them in, the notes come first
            self._log("ask", index=place.step + 1, text=step.text)
            answer = self.hints.answer
            self._speak((*self._take_notes(), step.text if self.manner.brief else f"{step.text} {answer}"), After.ASK)
        elif step.hold_s is None:
            self._speak((step.text, *self._take_notes()), After.NEXT_STEP)
        elif place.set > 0:
            self._speak((f"{P.SET_OF.format(P.number(place.set + 1), P.number(step.sets))} "
                         f"{P.hold(step.kind, step.hold_s)}",), After.HOLD)
        else:
            parts = [P.SWITCH_SIDES if place.side else P.BOTH_SIDES if step.both_sides else "",
                     step.text, P.hold(step.kind, step.hold_s),
                     P.SET_COUNT.format(P.times(step.sets)) if step.sets > 1 and not self.manner.brief else ""]
            self._speak((" ".join(p for p in parts if p),), After.HOLD)

    def _start_timer(self, kind: str) -> None:
        step, place = self.step, self.place
        length = (step.hold_s if kind == "hold" else step.rest_s) or 0.0
        timer = Timer.start(kind, length, self._now, self.manner.countdown)
        self._timer, self.phase = timer, Phase.HOLD if kind == "hold" else Phase.REST
        self._log(f"{kind}_start", index=place.step + 1, seconds=length, set=place.set + 1,
                  side=place.side + 1)
        if kind == "hold" and self._notes:  # the stretch is under way: now there is time for the notes
            self._notes_playing = self._take_notes()
            self._out.extend(Say(t) for t in self._notes_playing)

    def _timer_fired(self) -> None:
        now = self._now
        if self.phase is Phase.ASK and now >= self._ask_until:
            answer = self.step.default
            self._say(P.NO_ANSWER.format(answer.value))
            self._answer(answer, given=False)
        elif self.phase in (Phase.HOLD, Phase.REST) and self._timer is not None and not self._notes_playing:
            timer = self._timer
            while timer.cues and timer.cues[0][0] <= now:
                self._say(timer.cues.pop(0)[1], cue=True)
            if now >= timer.ends_at:
                self._timer_ended(timer)

    def _timer_ended(self, timer: Timer) -> None:
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
        if self._only is None and self.place.step + 1 < len(self.script.steps):
            self._enter(Place(self.place.step + 1))
        else:
            self._timer = None
            self._the_end()

    def _the_end(self) -> None:
        if self._only is None:
            self._speak((P.THE_END, *self._closing), After.FINISH)
        else:
            self._finish()

    def _answer(self, answer: Answer, given: bool = True) -> None:
        """`given`: said or pressed by the person; not given: the question's default, taken on no answer."""
        step = self.step
        then = step.on_yes if answer is Answer.YES else step.on_no
        self._log("answer", index=self.place.step + 1, answer=answer.value, given=given)
        match then:
            case Then.CONTINUE:
                self._next_step()
            case Then.END:
                self._the_end()
            case Then.REPEAT if self._round < MAX_ROUNDS:
                self._round += 1
                self._pending = Place(self._first)
                self._speak((P.ROUND_AGAIN,), After.ENTER)
            case Then.REPEAT:
                self._speak((P.ROUNDS_DONE.format(P.times(self._round)),), After.NEXT_STEP)
            case _:
                assert_never(then)
