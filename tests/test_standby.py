"""Standby: which phrase starts which script, the stricter decision, and the loop around sessions."""

from __future__ import annotations

import io
from collections.abc import Callable

import pytest

from crampvoice.core.commands import Command, Vocabulary
from crampvoice.core.errors import DeviceError, ScriptError
from crampvoice.core.events import Arrival, CommandGiven, DeviceFailed, Interrupted, Unheard
from crampvoice.core.testing import FakeClock, ScriptedInbox
from crampvoice.core.wake import Candidate, muscle_named, near_miss, script_for, takes_start
from crampvoice.listen.recognizer import Heard
from crampvoice.listen.wake import WakeRecognizer
from crampvoice.standby import Standby, StandbyParts, Wake
from crampvoice.view import TextView

BUNDLED = [Candidate("calf", "calf", True), Candidate("foot", "sole of the foot and toes", True),
           Candidate("night", "calf or foot", True), Candidate("thigh", "quadriceps", True)]


def test_a_phrase_naming_a_muscle_starts_that_muscles_script() -> None:
    assert script_for("foot cramp", "calf", BUNDLED) == "foot"
    assert script_for("Thigh cramp", "calf", BUNDLED) == "thigh"  # by its name: its muscle is 'quadriceps'
    assert script_for("calf cramp", "night", BUNDLED) == "night"  # the default, when it is for that muscle
    assert script_for("foot cramp", "calf", [*BUNDLED, Candidate("dad-feet", "foot", False)]) == "dad-feet"


def test_any_other_phrase_starts_the_default_script() -> None:
    assert script_for("cramp help", "night", BUNDLED) == "night"
    assert script_for("hamstring cramp", "calf", BUNDLED) == "calf"  # no script for it here
    assert muscle_named("cramp help") is None and muscle_named("calf cramp") == "calf"
    assert muscle_named("calf cramp please") is None


def test_a_start_is_one_whole_start_phrase_heard_surely() -> None:
    phrases = ("cramp help", "crampvoice start")
    assert takes_start(True, "Cramp help", 0.85, phrases)
    assert not takes_start(True, "cramp help", 0.7, phrases)  # a session command would be taken at 0.6
    assert not takes_start(True, "cramp", 0.99, phrases)  # its words alone
    assert not takes_start(True, "cramp help me", 0.99, phrases)  # inside a sentence
    assert not takes_start(False, "cramp help", 0.99, phrases)  # the recogniser named no start
    assert near_miss("cramp help", 0.5, phrases) and not near_miss("hello", 0.5, phrases)


class FakeRecognizer:
    """Answers each utterance with the next of its answers; remembers what it was told to expect."""

    follows_room = False

    def __init__(self, answers: list[Heard]) -> None:
        self.answers = answers
        self.expected: set[Command] = set()

    def expect(self, commands: object) -> None:
        self.expected = set(commands)  # type: ignore[call-overload]

    def begin(self) -> None:
        pass

    def feed(self, pcm: bytes) -> None:
        pass

    def end(self) -> Heard:
        return self.answers.pop(0)


def test_the_ear_listens_for_start_only_and_holds_it_to_the_stricter_rule() -> None:
    inner = FakeRecognizer([Heard(Command.START, "cramp help", 0.9), Heard(Command.START, "cramp help", 0.7),
                            Heard(Command.NEXT, "next", 0.99), Heard(None, "calf cramp", 0.4)])
    ear = WakeRecognizer(inner, Vocabulary({Command.START: ("calf cramp",)}))
    ear.expect({Command.NEXT})  # a session's commands are never listened for
    assert inner.expected == {Command.START}
    answers = [ear.end() for _ in range(4)]
    assert answers[0] == Heard(Command.START, "cramp help", 0.9) and ear.taken == answers[0]
    assert answers[1] == Heard(None, "cramp help", 0.7)  # a near miss keeps its guess
    assert answers[2] == Heard(None, "", 0.0)  # a session command is nothing here
    assert answers[3] == Heard(None, "calf cramp", 0.4)


class FakeEar:
    """Each time it is opened, puts the next batch of arrivals; or fails to open."""

    def __init__(self, batches: list[list[Arrival] | Exception]) -> None:
        self.batches = batches
        self.opened = 0
        self.closed = 0

    def open(self) -> FakeEar:
        batch = self.batches.pop(0)
        if isinstance(batch, Exception):
            raise batch
        self._batch = batch
        return self

    def start(self, put: Callable[[Arrival], None]) -> None:
        self.opened += 1
        for event in self._batch:
            put(event)

    def close(self) -> None:
        self.closed += 1


class Events:
    def __init__(self) -> None:
        self.lines: list[dict[str, object]] = []

    def write(self, type_: str, at: float, **fields: object) -> None:
        self.lines.append({"type": type_, **fields})

    def types(self) -> list[str]:
        return [str(e["type"]) for e in self.lines]


def standby(ear: FakeEar, session: Callable[[Wake], int], signals: list[int] | None = None
            ) -> tuple[int, Events, str]:
    clock = FakeClock()
    out = io.StringIO()
    events = Events()
    parts = StandbyParts(clock=clock, inbox=ScriptedInbox(clock), view=TextView(out), open_ear=ear.open,
                         session=session, events=events, signals=signals if signals is not None else [])
    return Standby(parts).run(), events, out.getvalue()


def voice(phrase: str) -> CommandGiven:
    return CommandGiven(Command.START, by_voice=True, heard=phrase)


def test_each_start_runs_a_session_and_standby_listens_again_after_it() -> None:
    ran: list[Wake] = []
    ear = FakeEar([[voice("calf cramp")], [Unheard("cramp help", 0.55), Unheard("", 0.0),
                                           CommandGiven(Command.NEXT, heard="enter")], [Interrupted()]])

    def session(wake: Wake) -> int:
        ran.append(wake)
        return 0

    code, events, _ = standby(ear, session)
    assert code == 130
    assert ran == [Wake("calf cramp", 0.0, "voice"), Wake("enter", 1.0, "key")]
    assert events.types() == ["standby", "wake", "standby", "unheard", "wake", "standby", "standby_end"]
    assert ear.opened == 3 and ear.closed == 3  # closed while each session ran: the session listens itself


def test_a_session_that_fails_is_said_and_standby_goes_on() -> None:
    outcomes: list[Exception | int] = [RuntimeError("boom"), ScriptError([]), 0]

    def session(wake: Wake) -> int:
        outcome = outcomes.pop(0)
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    ear = FakeEar([[voice("cramp help")], [voice("cramp help")], [voice("cramp help")], [Interrupted()]])
    code, events, said = standby(ear, session)
    assert code == 130 and not outcomes
    assert "The session failed (RuntimeError: boom). Standing by again." in said
    assert "The session could not run" in said
    assert events.types().count("standby") == 4


def test_a_signal_in_a_session_ends_standby_with_its_status() -> None:
    ear = FakeEar([[voice("cramp help")], [voice("cramp help")]])
    code, events, _ = standby(ear, lambda wake: 143)
    assert code == 143 and events.types()[-1] == "standby_end"


def test_a_signal_between_sessions_ends_standby_at_once() -> None:
    code, events, said = standby(FakeEar([[Interrupted()]]), lambda wake: pytest.fail("no session"), signals=[15])
    assert code == 143 and events.types() == ["standby", "standby_end"] and "Standby ended." in said


def test_a_missing_microphone_is_said_once_tried_again_and_welcomed_back() -> None:
    gone = DeviceError("no microphone could be opened", "plug one in")
    ear = FakeEar([gone, gone, gone, [DeviceFailed("The microphone stopped working (it stopped sending sound).")],
                   gone, [Interrupted()]])
    code, events, said = standby(ear, lambda wake: pytest.fail("no session"))
    assert code == 130 and not ear.batches
    assert said.count("Not listening for the start phrase") == 1
    assert said.count("The microphone stopped working") == 1
    assert said.count("The microphone works again") == 2
    assert [e["type"] for e in events.lines].count("notice") == 4
    assert [e.get("microphone") for e in events.lines if e["type"] == "standby"] == [False, True, True]
