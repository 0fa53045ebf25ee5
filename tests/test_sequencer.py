"""The sequencer, with time as data: every behaviour of a session, in milliseconds."""

from __future__ import annotations

import pytest

from crampvoice.core import phrases as P
from crampvoice.core.commands import Command
from crampvoice.core.controls import CONFIRM_WAIT_S, LEVELS
from crampvoice.core.events import Adjust, Say
from crampvoice.core.manner import SCAN_OFFER_S
from crampvoice.core.state import Phase

from .driver import Driver, make_script


def holds(d: Driver) -> list[tuple[float, float]]:
    starts, ends = d.logs("hold_start"), d.logs("hold_end")
    return [(s.at, e.at - s.at) for s, e in zip(starts, ends, strict=True)]


def test_unattended_session_runs_to_its_end_with_every_hold_timed() -> None:
    d = Driver()
    d.run()
    assert d.finish() is not None and d.finish().reason == "completed"  # type: ignore[union-attr]
    # 2 sets x 2 sides of 30 s, then the 20 s massage.
    assert [length for _, length in holds(d)] == [30, 30, 30, 30, 20]
    assert [r.fields["seconds"] for r in d.logs("rest_start")] == [10, 10, 10]
    assert d.logs("answer")[0].fields["answer"] == "yes"  # the question's default
    assert d.logs("end")[0].fields["reason"] == "completed"
    assert d.said()[-1] == P.THE_END


def test_the_first_instruction_comes_after_the_title_and_the_notes_during_its_hold() -> None:
    d = Driver()
    assert d.said() == ["Test cramp."]  # a person in a cramp hears what to do within seconds
    d.speech_done()
    assert d.logs("step")[0].fields["index"] == 1
    assert d.said()[-1] == "Start with one leg. Pull your toes up. Hold it for thirty seconds. We will do this twice."
    d.speech_done()
    notes = [P.INTRO_GUIDE, "Get help if it lasts more than ten minutes."]
    assert d.seq.phase is Phase.HOLD and d.said()[-2:] == notes
    assert d.seq.deadline == 600.0  # no cue while the notes are said: only the ten-minute rule's moment
    d.tick(20.0)  # the halfway cue came while the notes were said: dropped, not said late
    d.speech_done()
    assert d.seq.phase is Phase.HOLD and d.seq.deadline == 25.0 and "Halfway." not in d.said()


def test_a_hold_shorter_than_the_notes_ends_when_they_are_said() -> None:
    d = Driver()
    d.run(until_phase=Phase.SPEAKING)
    d.speech_done()
    d.speech_done()  # the instruction said at 0: the hold and the notes begin
    d.now = 45.0  # the notes took longer than the 30 s hold
    d.speech_done()
    assert d.logs("hold_end")[0].at == 45.0 and d.said()[-1].startswith(P.end_of_hold(make_script().steps[0].kind))


@pytest.mark.parametrize("command", [Command.NEXT, Command.PAUSE])
def test_notes_cut_short_by_a_command_are_said_whole_at_the_next_hold(command: Command) -> None:
    d = Driver()
    d.speech_done()
    d.speech_done()
    d.command(command)
    if command is Command.PAUSE:
        d.command(Command.RESUME)
    d.run(until_phase=Phase.ASK)
    assert d.said().count("Get help if it lasts more than ten minutes.") == 2


def test_a_step_tried_alone_starts_at_once_and_ends_without_the_closing_lines() -> None:
    script = make_script()
    d = Driver(script, only=1)
    assert d.said() == [script.steps[1].text + " Keep going for twenty seconds."]
    assert d.logs("step")[0].fields | {"text": ""} == {"index": 2, "of": 4, "kind": "massage", "text": ""}
    d.command(Command.BACK)  # a try stays on its step
    assert d.said()[-2:] == [P.FIRST_STEP, d.said()[0]] and d.seq.place.step == 1
    d.run()
    assert d.finish() is not None and d.finish().reason == "completed"  # type: ignore[union-attr]
    assert P.THE_END not in d.said() and P.INTRO_GUIDE not in d.said()
    assert [length for _, length in holds(d)] == [20]


@pytest.mark.parametrize(("countdown", "expected"), [
    ("halfway", [(15, "Halfway.")]),
    ("none", []),
])
def test_a_persons_countdown_says_less_during_a_hold(countdown: str, expected: list[tuple[float, str]]) -> None:
    from crampvoice.core.manner import Countdown, Manner

    d = Driver(manner=Manner(countdown=Countdown(countdown)))
    d.run(until_phase=Phase.HOLD)
    start, cues = d.now, []
    while d.seq.phase is Phase.HOLD:
        assert d.seq.deadline is not None
        effects = d.tick(d.seq.deadline)
        cues += [(round(d.now - start, 3), e.text) for e in effects if isinstance(e, Say) and e.cue]
    assert cues == expected and d.now - start == 30


def test_brief_keeps_the_instructions_and_drops_the_explanations() -> None:
    from crampvoice.core.manner import Manner

    d = Driver(manner=Manner(brief=True))
    d.run()
    said = " ".join(d.said())
    assert "Pull your toes up. Hold it for thirty seconds." in said
    assert "We will do this twice" not in said and P.HINTS["voice"].answer not in said
    assert "Get help if it lasts more than ten minutes." in said  # safety notes are never dropped


def test_the_switch_offers_each_choice_for_the_persons_scan_time() -> None:
    from crampvoice.core.manner import Manner

    d = Driver(manner=Manner(scan_s=5.0))
    d.run(until_phase=Phase.HOLD)
    d.command(Command.SWITCH)
    first = d.seq.deadline
    assert first is not None and first == pytest.approx(d.now + 5.0)


def test_a_closing_tip_is_said_after_the_last_line_of_a_completed_routine_only() -> None:
    completed = Driver(closing=("Tip.",))
    completed.run()
    assert completed.said()[-2:] == [P.THE_END, "Tip."]
    stopped = Driver(closing=("Tip.",))
    stopped.run(until_phase=Phase.HOLD)
    stopped.command(Command.STOP)
    stopped.command(Command.YES)
    stopped.run()
    assert "Tip." not in stopped.said() and stopped.finish() is not None


def test_hold_has_a_halfway_cue_and_counts_down_the_last_five_seconds() -> None:
    d = Driver()
    d.run(until_phase=Phase.HOLD)
    start = d.now
    cues = []
    while d.seq.phase is Phase.HOLD:
        assert d.seq.deadline is not None
        effects = d.tick(d.seq.deadline)
        cues += [(round(d.now - start, 3), e.text) for e in effects if isinstance(e, Say) and e.cue]
    assert cues == [(15, "Halfway."), (25, "Five."), (26, "Four."), (27, "Three."), (28, "Two."), (29, "One.")]
    assert d.now - start == 30
    assert d.said()[-1].startswith(P.end_of_hold(make_script().steps[0].kind))


def test_sides_both_switches_sides_after_the_sets_of_the_first() -> None:
    d = Driver()
    d.run(until_phase=Phase.ASK)
    sides = [(h.fields["side"], h.fields["set"]) for h in d.logs("hold_start")][:4]
    assert sides == [(1, 1), (1, 2), (2, 1), (2, 2)]
    assert any(t.startswith(P.SWITCH_SIDES) for t in d.said())


def test_pause_freezes_the_hold_and_carry_on_resumes_with_the_time_left() -> None:
    d = Driver()
    d.run(until_phase=Phase.HOLD)
    start = d.now
    d.tick(start + 10)  # nothing due at 10 s; the clock moved
    d.now = start + 12
    effects = d.command(Command.PAUSE)
    assert d.silenced(effects) and d.seq.phase is Phase.PAUSED
    assert d.seq.deadline is None  # a pause never times out
    d.now = start + 500
    d.command(Command.RESUME)
    assert d.seq.phase is Phase.HOLD
    assert d.said()[-1] == "Carrying on. Eighteen seconds left."
    d.run(until_phase=Phase.REST)
    assert d.logs("hold_end")[0].at == start + 500 + 18


@pytest.mark.parametrize("phase", [Phase.SPEAKING, Phase.HOLD, Phase.REST])
def test_next_silences_speech_and_goes_to_the_next_step(phase: Phase) -> None:
    d = Driver()
    d.settle()
    d.run(until_phase=phase)
    effects = d.command(Command.NEXT)
    assert d.silenced(effects)
    assert d.seq.place.step == 1 and d.logs("step")[-1].fields["kind"] == "massage"


def test_back_goes_to_the_previous_step_and_from_the_first_says_so() -> None:
    d = Driver()
    d.settle()
    d.command(Command.NEXT)
    d.command(Command.BACK)
    assert d.seq.place.step == 0
    d.command(Command.BACK)
    assert P.FIRST_STEP in d.said() and d.seq.place.step == 0


def step_indexes(d: Driver) -> list[object]:
    return [log.fields["index"] for log in d.logs("step")]


@pytest.mark.parametrize("paused", [False, True])
def test_next_during_the_opening_notes_starts_step_one_instead_of_skipping_it(paused: bool) -> None:
    d = Driver()  # the title and safety notes are being said
    if paused:
        d.command(Command.PAUSE)
    effects = d.command(Command.NEXT)
    assert d.silenced(effects)
    assert step_indexes(d) == [1] and "Pull your toes up." in d.said()[-1]
    d.run(until_phase=Phase.HOLD)
    assert d.seq.place.step == 0


def test_back_during_the_opening_notes_starts_step_one_and_says_it_is_the_first() -> None:
    d = Driver()
    d.command(Command.BACK)
    assert P.FIRST_STEP in d.said() and step_indexes(d) == [1]


def test_repeat_during_the_opening_notes_says_them_again_then_step_one() -> None:
    d = Driver()
    opening = list(d.said())
    d.command(Command.REPEAT)
    assert d.said() == opening * 2 and step_indexes(d) == []
    d.run(until_phase=Phase.HOLD)
    assert step_indexes(d) == [1]


def test_next_while_announcing_another_round_starts_its_first_step() -> None:
    d = Driver()
    d.run(until_phase=Phase.ASK)
    d.command(Command.NO)  # "let's go through the steps again"
    assert d.said()[-1] == P.ROUND_AGAIN
    d.command(Command.NEXT)
    assert step_indexes(d) == [1, 2, 3, 1]


def test_next_during_the_closing_lines_ends_without_saying_them_again() -> None:
    d = Driver()
    d.run(until_phase=Phase.ASK)
    d.command(Command.YES)
    d.speech_done()  # "sip some water" said: the closing lines are being said
    assert d.said()[-1] == P.THE_END and not d.seq.finished
    d.command(Command.NEXT)
    assert d.seq.finished and d.said().count(P.THE_END) == 1
    assert d.logs("end")[0].fields["reason"] == "completed"


def test_back_during_the_closing_lines_goes_to_the_last_step() -> None:
    d = Driver()
    d.run(until_phase=Phase.ASK)
    d.command(Command.YES)
    d.speech_done()
    assert d.said()[-1] == P.THE_END and not d.seq.finished
    d.command(Command.BACK)
    assert step_indexes(d)[-1] == 4 and d.said()[-1] == "Sip some water."
    d.run()
    assert d.said().count(P.THE_END) == 2 and d.logs("end")[0].fields["reason"] == "completed"


def test_repeat_says_the_current_instruction_again() -> None:
    d = Driver()
    d.speech_done()  # the intro is said; the first instruction is being said
    first = d.said()[-1]
    effects = d.command(Command.REPEAT)
    assert d.silenced(effects) and d.said()[-1] == first
    d.run(until_phase=Phase.HOLD)
    hold_at = d.seq.deadline
    d.command(Command.REPEAT)
    assert d.said()[-1] == "Pull your toes up." and d.seq.deadline == hold_at  # the hold keeps going


@pytest.mark.parametrize("second", [Command.STOP, Command.YES])
def test_stop_is_confirmed_by_a_second_stop_or_yes(second: Command) -> None:
    d = Driver()
    d.run(until_phase=Phase.HOLD)
    d.command(Command.STOP)
    assert d.seq.phase is Phase.CONFIRM and d.said()[-1] == P.HINTS["voice"].confirm_stop
    d.command(second)
    d.settle()
    assert d.finish() is not None and d.finish().reason == "stopped"  # type: ignore[union-attr]
    assert d.said()[-1] == P.STOPPED


@pytest.mark.parametrize("answer", [Command.NO, Command.RESUME, None])
def test_stop_not_confirmed_carries_on_where_it_was(answer: Command | None) -> None:
    d = Driver()
    d.run(until_phase=Phase.HOLD)
    start, left = d.now, d.seq.remaining_s()
    d.now += 3
    d.command(Command.STOP)
    if answer is None:
        d.tick(d.now + CONFIRM_WAIT_S)
    else:
        d.now += 5
        d.command(answer)
    assert d.seq.phase is Phase.HOLD and d.seq.remaining_s() == pytest.approx(left - 3)  # type: ignore[operator]
    assert d.finish() is None and d.now > start


def test_question_answered_no_goes_round_again_at_most_three_times_then_says_get_help() -> None:
    d = Driver()
    for _ in range(3):
        d.run(until_phase=Phase.ASK)
        d.command(Command.NO)
    d.run()
    assert [h.fields["index"] for h in d.logs("step")].count(1) == 3
    assert P.ROUND_AGAIN in d.said()
    assert P.ROUNDS_DONE.format("three times") in d.said()
    assert d.finish() is not None


def test_question_answered_while_still_being_asked() -> None:
    d = Driver()
    d.run(until_phase=Phase.ASK)
    d.command(Command.BACK)  # back to the massage, then on to the question again
    d.run(until_phase=Phase.SPEAKING)
    while not d.said()[-1].startswith("Is it easing?"):
        d.speech_done() if d.seq.phase is Phase.SPEAKING else d.tick(d.seq.deadline or d.now)
    d.command(Command.YES)
    assert d.logs("answer")[-1].fields["answer"] == "yes"


def test_unanswered_question_takes_its_default_after_its_wait() -> None:
    d = Driver()
    d.run(until_phase=Phase.ASK)
    asked = d.now
    d.run(until_phase=Phase.DONE)
    assert d.logs("answer")[0].at == asked + 20
    assert P.NO_ANSWER.format("yes") in d.said()


def test_yes_with_no_question_says_so() -> None:
    d = Driver()
    d.run(until_phase=Phase.HOLD)
    d.command(Command.YES)
    assert d.said()[-1] == P.NO_QUESTION and d.seq.phase is Phase.HOLD


def test_help_freezes_the_hold_says_commands_and_safety_then_carries_on() -> None:
    d = Driver()
    d.run(until_phase=Phase.HOLD)
    left = d.seq.remaining_s()
    d.now += 10
    d.command(Command.HELP)
    assert d.said()[-2:] == [P.HINTS["voice"].help, "Get help if it lasts more than ten minutes."]
    assert d.seq.phase is Phase.PAUSED
    d.now += 100
    d.speech_done()
    assert d.seq.phase is Phase.HOLD and d.seq.remaining_s() == left - 10


def test_emergency_says_the_red_flags_and_stays_paused() -> None:
    d = Driver()
    d.run(until_phase=Phase.HOLD)
    d.command(Command.EMERGENCY)
    d.settle()
    assert all(flag in d.said() for flag in P.RED_FLAGS)
    assert d.seq.phase is Phase.PAUSED and d.seq.deadline is None


def test_time_says_what_is_left_of_the_hold() -> None:
    d = Driver()
    d.command(Command.TIME)
    assert d.said()[-1] == P.NOTHING_TIMED
    d.run(until_phase=Phase.HOLD)
    d.now += 10
    d.command(Command.TIME)
    assert d.said()[-1] == "Twenty seconds left."


def test_slower_and_louder_change_levels_within_bounds() -> None:
    d = Driver()
    for _ in range(LEVELS + 2):
        d.command(Command.SLOWER)
    adjusts = [e for e in d.effects if isinstance(e, Adjust)]
    assert [a.level for a in adjusts] == [-1, -2, -3, -4]
    assert d.said()[-1] == P.SETTING["rate"][2]
    d.command(Command.LOUDER)
    assert d.effects[-2] == Adjust("volume", 1) or Adjust("volume", 1) in d.effects


def test_asleep_ignores_voice_commands_but_not_keys() -> None:
    d = Driver()
    d.run(until_phase=Phase.HOLD)
    d.command(Command.SLEEP, by_voice=True)
    d.command(Command.NEXT, by_voice=True)
    assert d.seq.place.step == 0 and d.logs("ignored")[0].fields["command"] == "next"
    d.command(Command.PAUSE)  # a key
    assert d.seq.phase is Phase.PAUSED
    d.command(Command.WAKE, by_voice=True)
    d.command(Command.RESUME, by_voice=True)
    assert d.seq.phase is Phase.HOLD and not d.seq.asleep


def test_switch_pauses_then_offers_choices_and_a_second_press_picks_one() -> None:
    d = Driver()
    d.run(until_phase=Phase.HOLD)
    left = d.seq.remaining_s()
    d.command(Command.SWITCH)
    assert d.seq.phase is Phase.SCAN and d.said()[-1] == "Carry on?"
    d.tick(d.now + SCAN_OFFER_S)
    assert d.said()[-1] == "Next step?"
    assert d.seq.remaining_s() == left  # the hold is frozen while choosing
    d.command(Command.SWITCH)
    assert d.seq.place.step == 1


def test_switch_with_nothing_chosen_stops_offering_and_stays_paused() -> None:
    d = Driver()
    d.run(until_phase=Phase.HOLD)
    d.command(Command.SWITCH)
    d.run()
    assert d.seq.phase is Phase.PAUSED and d.seq.deadline is None
    assert d.said()[-1] == P.SCAN_PAUSED
    assert d.said().count("Carry on?") == 2
    d.command(Command.SWITCH)
    d.command(Command.SWITCH)  # picks "Carry on"
    assert d.seq.phase is Phase.HOLD


def test_switch_at_a_question_offers_yes_then_no() -> None:
    d = Driver()
    d.run(until_phase=Phase.ASK)
    d.command(Command.SWITCH)
    assert d.said()[-1] == "Yes?"
    d.tick(d.now + SCAN_OFFER_S)
    d.command(Command.SWITCH)
    assert d.logs("answer")[-1].fields["answer"] == "no"


RUNNING = [Phase.SPEAKING, Phase.HOLD, Phase.REST, Phase.ASK]


@pytest.mark.parametrize("command", list(Command))
@pytest.mark.parametrize("phase", [*RUNNING, Phase.PAUSED, Phase.CONFIRM, Phase.SCAN])
def test_every_command_in_every_phase_leaves_a_session_that_can_still_end(
        command: Command, phase: Phase) -> None:
    d = Driver()
    d.settle()
    if phase in RUNNING:
        d.run(until_phase=phase)
    else:
        d.run(until_phase=Phase.HOLD)
        d.command({Phase.PAUSED: Command.PAUSE, Phase.CONFIRM: Command.STOP, Phase.SCAN: Command.SWITCH}[phase])
    assert d.seq.phase is phase
    d.command(command)
    for _ in range(50):  # whatever state it is in, the person can always reach the end
        d.run()
        if d.seq.finished:
            break
        d.command(Command.RESUME if d.seq.phase is Phase.PAUSED else Command.NEXT)
    assert d.seq.finished
    assert d.logs("end")[0].fields["reason"] in ("completed", "stopped")


def test_a_script_with_one_untimed_step_ends_after_saying_it() -> None:
    d = Driver(make_script("crampvoice: 1\ntitle: One\nsteps:\n  - say: Drink water.\n"))
    d.run()
    assert d.said()[-4:] == ["Drink water.", P.INTRO_GUIDE, P.NO_SAFETY_NOTES[0], P.THE_END] and d.seq.finished
    # a script without safety notes still has them said; with no hold, after the first step's words


def test_it_listens_for_yes_and_no_only_at_a_question_and_only_for_wake_up_while_asleep() -> None:
    d = Driver()
    d.run(until_phase=Phase.HOLD)
    hold = d.seq.listening_for()
    assert {Command.NEXT, Command.STOP, Command.PAUSE, Command.SLEEP} <= hold
    assert not hold & {Command.YES, Command.NO, Command.WAKE, Command.SWITCH}
    d.command(Command.STOP)
    assert {Command.YES, Command.NO} <= d.seq.listening_for()
    d.command(Command.NO)
    d.run(until_phase=Phase.ASK)
    assert {Command.YES, Command.NO} <= d.seq.listening_for()
    d.command(Command.SLEEP, by_voice=True)
    assert d.seq.listening_for() == {Command.WAKE}


@pytest.mark.parametrize("base", [Phase.ASK, Phase.CONFIRM])
def test_switch_with_nothing_chosen_at_a_question_says_it_is_paused_and_stays_so(base: Phase) -> None:
    d = Driver()
    d.run(until_phase=Phase.ASK if base is Phase.ASK else Phase.HOLD)
    if base is Phase.CONFIRM:
        d.command(Command.STOP)
    d.command(Command.SWITCH)
    d.run()
    assert d.said()[-1] == P.SCAN_PAUSED
    assert d.seq.phase is Phase.PAUSED and d.seq.deadline is None and not d.seq.finished
    d.command(Command.RESUME)  # the question is asked again, or the hold carries on
    assert d.seq.phase in (Phase.SPEAKING, Phase.HOLD)
