"""The safety rules at their edges, with time as data: core/safety.py and the sequencer saying them."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from crampvoice.core import phrases as P
from crampvoice.core.commands import Command
from crampvoice.core.safety import FREQUENT, LONG_S, WEEK_S, History, Span, may_advise, rules_met
from crampvoice.core.state import Phase

from .driver import Driver, make_script

DAY_S = 24 * 3600.0
SHORT = Path(__file__).parent / "data" / "short.yaml"
CRAMPVOICE = [sys.executable, "-m", "crampvoice"]

# Long holds, so that ten minutes pass inside the routine; a question about easing at the end.
LONG_SCRIPT = """\
crampvoice: 1
title: Long cramp
steps:
  - stretch: Pull your toes up.
    hold: 300
    repeat: 3
  - ask: Is the cramp easing?
  - say: Rest the leg.
"""
NO_QUESTION = """\
crampvoice: 1
title: Bedtime
steps:
  - stretch: Lean on the wall.
    hold: 300
    repeat: 3
"""


def names(spans: list[Span], now: float) -> list[str]:
    return [rule.name for rule in rules_met(spans, now)]


def test_frequent_counts_episodes_begun_within_the_last_seven_days_exactly() -> None:
    now = 10 * WEEK_S
    two_recent = [Span(now - DAY_S, 60), Span(now - 2 * DAY_S, 60)]
    assert FREQUENT == 3
    assert names([*two_recent, Span(now - WEEK_S + 1, 60)], now) == ["frequent"]
    assert names([*two_recent, Span(now - WEEK_S, 60)], now) == []  # exactly seven days ago: out
    assert names([*two_recent, Span(now + 1, 60)], now) == []  # not begun yet
    assert names(two_recent, now) == []


def test_long_is_more_than_ten_minutes_within_the_week() -> None:
    now = 10 * WEEK_S
    assert names([Span(now - 60, LONG_S)], now) == []  # ten minutes exactly is not over ten
    assert names([Span(now - 60, LONG_S + 0.001)], now) == ["long"]
    assert names([Span(now - WEEK_S, LONG_S + 60)], now) == []  # a long one a week ago no longer counts


def test_advice_at_most_once_in_seven_days() -> None:
    assert may_advise(None, 0.0)
    assert not may_advise(-WEEK_S + 1, 0.0)
    assert may_advise(-WEEK_S, 0.0)


def finished(history: History | None, script: str | None = None) -> Driver:
    d = Driver(make_script(script) if script else None, history)
    d.run()
    assert d.seq.finished
    return d


def test_the_third_episode_in_a_week_ends_with_the_advice_and_says_which_rule() -> None:
    past = (Span(-2 * DAY_S, 120), Span(-(WEEK_S - 1000), 120))
    d = finished(History(past, first_session=False))
    assert d.said()[-2:] == [P.THE_END, P.SEE_A_DOCTOR]
    assert d.logs("advice")[0].fields == {"rules": ["frequent"]}
    assert d.logs("end")[0].fields["reason"] == "completed"  # said before the end, not after


def test_no_advice_with_two_episodes_or_within_a_week_of_the_last_advice() -> None:
    assert P.SEE_A_DOCTOR not in finished(History((Span(-DAY_S, 120),), first_session=False)).said()
    past = (Span(-DAY_S, 120), Span(-2 * DAY_S, 120))
    # The session itself lasts a few minutes: advice given a week minus an hour before it began is within a week.
    assert P.SEE_A_DOCTOR not in finished(History(past, advised_at=-(WEEK_S - 3600), first_session=False)).said()
    assert P.SEE_A_DOCTOR in finished(History(past, advised_at=-WEEK_S, first_session=False)).said()


def test_a_stopped_session_meeting_the_rule_is_advised_too_and_next_skips_nothing_else() -> None:
    past = (Span(-DAY_S, 120), Span(-2 * DAY_S, 120))
    d = Driver(history=History(past, first_session=False))
    d.settle()
    d.command(Command.STOP)
    d.command(Command.YES)
    d.settle()
    assert d.said()[-2:] == [P.STOPPED, P.SEE_A_DOCTOR] and d.finish() is not None


def test_a_session_over_ten_minutes_is_advised_even_as_the_first() -> None:
    d = finished(History(), LONG_SCRIPT)  # 15 minutes of holds
    assert d.logs("advice")[0].fields == {"rules": ["long"]}


def test_the_guide_note_is_said_at_the_first_session_only() -> None:
    for first in (Driver(history=History()), Driver()):  # no diary: as a first session
        first.run(until_phase=Phase.HOLD)
        assert first.said().count(P.INTRO_GUIDE) == 1
    later = Driver(history=History(first_session=False))
    later.run(until_phase=Phase.HOLD)
    assert P.INTRO_GUIDE not in later.said() and later.said()[0] == "Test cramp."


def not_easing_at(d: Driver) -> list[float]:
    return [log.at for log in d.logs("safety")]


def test_ten_minutes_without_easing_says_so_and_the_red_flags_once() -> None:
    d = Driver(make_script(LONG_SCRIPT))
    d.run(until_phase=Phase.HOLD)
    while d.seq.deadline is not None and d.seq.deadline < LONG_S:
        d.tick(d.seq.deadline)
        d.settle()
    assert not_easing_at(d) == [] and P.NOT_EASING not in d.said()
    d.tick(LONG_S - 0.001)
    assert not_easing_at(d) == []
    assert d.seq.deadline == LONG_S
    effects = d.tick(LONG_S)
    assert d.silenced(effects) and d.said()[-5:] == [P.NOT_EASING, *P.RED_FLAGS]
    left = d.seq.remaining_s()
    d.settle()  # said as help is: the hold carries on where it was afterwards
    assert d.seq.phase is Phase.HOLD and d.seq.remaining_s() == left
    d.run()
    assert not_easing_at(d) == [LONG_S] and d.said().count(P.NOT_EASING) == 1


def test_an_answered_yes_before_ten_minutes_means_nothing_is_said() -> None:
    script = LONG_SCRIPT.replace("    repeat: 3\n", "").replace("Is the cramp easing?", "Is the cramp easing?\n    wait: 60")
    d = Driver(make_script(script))
    d.run(until_phase=Phase.ASK)
    d.command(Command.YES)
    d.run()
    assert not_easing_at(d) == [] and d.finish() is not None


def test_no_answer_is_not_easing_the_default_taken_is_not_an_answer() -> None:
    d = finished(None, LONG_SCRIPT)
    assert d.logs("answer")[0].fields == {"index": 2, "answer": "yes", "given": False}
    assert not_easing_at(d) == [LONG_S]


def advance_to(d: Driver, at: float) -> None:
    """Every deadline before `at` fires on time, speech finishing at once; then the clock is at `at`."""
    while d.seq.deadline is not None and d.seq.deadline < at:
        d.tick(d.seq.deadline)
        d.settle()
    d.now = at


@pytest.mark.parametrize(("command", "said_at"), [(Command.PAUSE, LONG_S + 100), (Command.STOP, LONG_S + 10)])
def test_ten_minutes_come_during_a_pause_or_a_stop_question_it_waits_until_the_routine_runs(
        command: Command, said_at: float) -> None:
    d = Driver(make_script(LONG_SCRIPT))
    advance_to(d, LONG_S - 5)
    d.command(command)
    if command is Command.PAUSE:
        assert d.seq.deadline is None  # a pause never times out, safety or not
        d.now = LONG_S + 100
        d.command(Command.RESUME)
    else:
        assert d.seq.deadline == LONG_S + 10  # the stop's question, unanswered for 15 s, carries on
    assert not_easing_at(d) == []
    d.run()
    assert not_easing_at(d) == [said_at]


def test_a_routine_with_no_question_is_no_relief_session_neither_rule_speaks() -> None:
    d = finished(History((Span(-DAY_S, 120), Span(-2 * DAY_S, 120))), NO_QUESTION)
    assert not_easing_at(d) == [] and d.logs("advice") == []
    assert d.logs("start")[0].fields["relief"] is False


def test_nothing_said_tells_anyone_to_avoid_medical_care() -> None:
    said = " ".join(v if isinstance(v, str) else " ".join(map(str, v)) for k, v in vars(P).items()
                    if k.isupper() and isinstance(v, str | tuple)).lower()
    for banned in ("don't see", "do not see", "no need to see", "avoid the doctor", "not worth seeing",
                   "instead of a doctor", "instead of seeing"):
        assert banned not in said
    assert "worth seeing a doctor" in P.SEE_A_DOCTOR.lower() and "guide, not a doctor" in P.GUIDE_NOTE


def test_the_advice_counts_episodes_that_ended_while_this_session_ran() -> None:
    """One episode before this session began, two more that ended while it ran: the third in a week."""
    driver = Driver(history=History(past=(Span(-DAY_S, 300.0),), first_session=False))
    driver.recalled = History(past=(Span(-DAY_S, 300.0), Span(-200.0, 100.0)), first_session=False)
    driver.command(Command.STOP)
    driver.command(Command.YES)
    driver.run()
    assert P.SEE_A_DOCTOR in driver.said() and driver.logs("advice")[0].fields["rules"] == ["frequent"]


@pytest.mark.slow
def test_of_three_sessions_at_once_the_first_to_end_is_advised_and_only_it() -> None:
    """Through the real program: three sessions under way together, the third episode in a week. The
    first knew of none when it began; at its end it reads the diary again."""
    quick = [*CRAMPVOICE, "run", str(SHORT), "--text", "--keyboard"]
    sessions: list[subprocess.Popen[str]] = []
    try:
        for _ in range(3):
            sessions.append(subprocess.Popen(quick, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                             stderr=subprocess.PIPE, text=True))
            stdout = sessions[-1].stdout
            assert stdout is not None
            for line in stdout:  # its episode is in the diary from its first event on
                if line.startswith("Step 1 of"):
                    break
        ends = [session.communicate("stop\ny\n", timeout=120) for session in sessions]
    finally:
        for session in sessions:
            session.kill()
    assert [s.returncode for s in sessions] == [0, 0, 0], ends
    assert [P.SEE_A_DOCTOR in out for out, _ in ends] == [True, False, False]  # once in seven days
