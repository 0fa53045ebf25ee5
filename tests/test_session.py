"""The session loop with fake parts: the real sequencer, text view and event log."""

from __future__ import annotations

import io
import json
from collections.abc import Sequence
from typing import Any

from crampvoice import session
from crampvoice.core.commands import Command, Vocabulary
from crampvoice.core.events import Arrival, CommandGiven, DeviceFailed, Interrupted, Unheard
from crampvoice.core.testing import FakeClock, FakeSpeaker, ScriptedInbox
from crampvoice.eventlog import EventLog
from crampvoice.keys import LineKeys
from crampvoice.view import TextView

from .driver import make_script


def run_fake(inputs: Sequence[tuple[float, Arrival]] = ()) -> tuple[str, list[dict[str, Any]], str, FakeSpeaker]:
    clock, speaker = FakeClock(100.0), FakeSpeaker()
    text, events = io.StringIO(), io.StringIO()
    parts = session.Parts(clock=clock, inbox=ScriptedInbox(clock, [(100 + t, e) for t, e in inputs]),
                          speaker=speaker, view=TextView(text), events=EventLog(events, clock.now()))
    reason = session.run(make_script(), parts)
    return reason, [json.loads(line) for line in events.getvalue().splitlines()], text.getvalue(), speaker


def test_a_session_with_no_input_runs_to_the_end_in_test_time() -> None:
    reason, events, text, speaker = run_fake()
    assert reason == "completed" and speaker.closed
    starts = [e for e in events if e["type"] == "hold_start"]
    ends = [e for e in events if e["type"] == "hold_end"]
    assert [round(e["t"] - s["t"], 6) for s, e in zip(starts, ends, strict=True)] == [30, 30, 30, 30, 20]
    assert {"step", "say", "hold_start", "hold_end", "ask", "end"} <= {e["type"] for e in events}
    assert events[-1] == {"t": events[-1]["t"], "type": "end", "reason": "completed"}
    assert text.splitlines()[0] == "Test cramp." and "Step 1 of 4:" in text
    assert speaker.said == [e["text"] for e in events if e["type"] == "say"]  # printed = spoken


def test_commands_arrive_at_their_times_and_are_shown_and_logged() -> None:
    reason, events, text, speaker = run_fake([
        (5.0, CommandGiven(Command.PAUSE, heard="p")),
        (65.0, CommandGiven(Command.RESUME, heard="c")),
        (70.0, CommandGiven(Command.STOP, heard="s")),
        (71.0, CommandGiven(Command.STOP, by_voice=True, heard="stop")),
    ])
    assert reason == "stopped"
    commands = [(e["t"], e["command"], e["by"]) for e in events if e["type"] == "command"]
    assert commands == [(5.0, "pause", "key"), (65.0, "resume", "key"), (70.0, "stop", "key"),
                        (71.0, "stop", "voice")]
    assert "pressed: pause" in text and "heard: stop" in text
    assert speaker.silenced >= 3


def test_keys_from_a_pipe_become_commands() -> None:
    inbox = session.QueueInbox()
    keys = LineKeys(io.StringIO("next\n\n \ngo back\nn\nnonsense\nwhat can I say\n"), Vocabulary())
    keys.start(inbox.put)
    got = []
    while (event := inbox.poll(0.5)) is not None:
        assert isinstance(event, CommandGiven)
        got.append((event.command, event.typed))
    assert got == [(Command.NEXT, True), (Command.NEXT, False), (Command.SWITCH, False), (Command.BACK, True),
                   (Command.NO, False), (Command.HELP, True)]  # a phrase is typed; a key or Enter is pressed


def test_a_persons_own_words_are_understood_beside_the_defaults() -> None:
    vocabulary = Vocabulary({Command.NEXT: ("nek", "Onward!")})
    assert vocabulary.command_for("nek") is Command.NEXT
    assert vocabulary.command_for("onward") is Command.NEXT
    assert vocabulary.command_for("Next step.") is Command.NEXT
    assert vocabulary.command_for("neck") is None


def test_a_device_failing_mid_session_is_told_once_and_the_session_goes_on() -> None:
    reason, events, text, _ = run_fake([(40.0, DeviceFailed("Speech output stopped working: gone. Carrying on in text."))])
    assert reason == "completed"
    assert text.count("Speech output stopped working") == 1
    assert [e["t"] for e in events if e["type"] == "notice"] == [40.0]


class RecordingEars:
    def __init__(self) -> None:
        self.expected: list[frozenset[Command]] = []

    def expect(self, commands: frozenset[Command]) -> None:
        if not self.expected or self.expected[-1] != commands:
            self.expected.append(commands)


def test_the_microphone_is_told_what_to_listen_for_as_the_session_moves() -> None:
    clock, ears = FakeClock(100.0), RecordingEars()
    parts = session.Parts(clock=clock, inbox=ScriptedInbox(clock, [(100 + 5.0, CommandGiven(Command.STOP))]),
                          speaker=FakeSpeaker(), view=TextView(io.StringIO()), ears=ears)
    session.run(make_script(), parts)
    assert Command.NEXT in ears.expected[0] and Command.YES not in ears.expected[0]
    assert {Command.YES, Command.NO} <= ears.expected[1]  # "do you want to stop?"
    assert Command.YES not in ears.expected[2]  # unanswered: carried on


def test_interrupted_while_paused_ends_at_once_with_an_end_event() -> None:
    reason, events, text, speaker = run_fake([
        (5.0, CommandGiven(Command.PAUSE, heard="p")),
        (400.0, Interrupted()),  # a pause has no deadline: only the interruption wakes it
    ])
    assert reason == "interrupted" and speaker.closed
    assert events[-1] == {"t": 400.0, "type": "end", "reason": "interrupted"}
    assert text.splitlines()[-1] == "Session ended."


def test_what_was_heard_and_not_understood_is_logged_as_unheard_and_the_session_goes_on() -> None:
    reason, events, text, speaker = run_fake([(5.0, Unheard("next", 0.41)), (6.0, Unheard("", 0.0))])
    assert reason == "completed"
    unheard = [e for e in events if e["type"] == "unheard"]
    assert unheard == [{"t": 5.0, "type": "unheard", "guess": "next", "score": 0.41},
                       {"t": 6.0, "type": "unheard", "guess": "", "score": 0.0}]
    assert "unheard" not in text and not any(said == "next" for said in speaker.said)
    assert not [e for e in events if e["type"] == "command"]
