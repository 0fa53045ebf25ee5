"""The diary on real SQLite files: the session's events kept, 0600, bad files left alone, export read back."""

from __future__ import annotations

import contextlib
import io
import json
import os
import sqlite3
import stat
import sys
from pathlib import Path
from typing import Any

import pytest

from crampvoice import session
from crampvoice.cli import main
from crampvoice.core import phrases as P
from crampvoice.core.commands import Command
from crampvoice.core.events import CommandGiven
from crampvoice.core.testing import FakeClock, FakeSpeaker, ScriptedInbox
from crampvoice.diary import SCHEMA_VERSION, Diary, DiaryError, DiarySink, diary_path
from crampvoice.diary import view as diaryview
from crampvoice.eventlog import EventLog, Tee
from crampvoice.view import TextView

from .at_once import at_once
from .driver import make_script

NOW = 1_790_000_000.0  # a wall-clock instant: 21 September 2026


def run_main(*argv: str, stdin: Any = None) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    old_stdin = sys.stdin
    sys.stdin = stdin if stdin is not None else io.StringIO("")
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = main(list(argv))
    finally:
        sys.stdin = old_stdin
    return code, out.getvalue(), err.getvalue()


def session_into(diary: Diary, wall: float = NOW, inputs: tuple[tuple[float, Any], ...] = (),
                 script_text: str | None = None) -> tuple[str, list[dict[str, Any]], DiarySink, FakeSpeaker]:
    """A whole session with fake parts, its events into the diary and an --events log, as `run` wires them."""
    clock, speaker = FakeClock(100.0), FakeSpeaker()
    log = io.StringIO()
    notices: list[str] = []
    sink = diary.begin(clock.now(), notices.append, wall=wall)
    parts = session.Parts(clock=clock, inbox=ScriptedInbox(clock, [(100 + t, e) for t, e in inputs]),
                          speaker=speaker, view=TextView(io.StringIO()),
                          events=Tee(sink, EventLog(log, clock.now())))
    reason = session.run(make_script(script_text) if script_text else make_script(), parts, diary.history(wall))
    assert notices == []
    return reason, [json.loads(line) for line in log.getvalue().splitlines()], sink, speaker


def test_every_event_of_a_session_is_kept_as_the_events_log_has_it(tmp_path: Path) -> None:
    with Diary.open(tmp_path / "d.sqlite3") as diary:
        reason, logged, sink, _ = session_into(diary, inputs=((5.0, CommandGiven(Command.PAUSE, heard="p")),
                                                              (9.0, CommandGiven(Command.RESUME, heard="c"))))
        assert sink.episode is not None
        assert diary.events(sink.episode) == logged
        (episode,) = diary.episodes()
    assert reason == "completed"
    assert (episode.ended, episode.step, episode.steps, episode.script) == ("completed", 4, 4, "test")
    assert episode.commands == "pause:key resume:key" and episode.started == NOW
    assert episode.length_s == logged[-1]["t"] and episode.eased == ""  # the question's default is no answer


def test_the_answer_given_and_unheard_utterances_are_kept() -> None:
    from crampvoice.core.events import Unheard

    with Diary.open(diary_path()) as diary:
        # The question comes at 170 s (holds and rests, speech taking no time); "no" goes round again.
        session_into(diary, inputs=((1.0, Unheard("nek", 0.4)), (175.0, CommandGiven(Command.NO, heard="n")),
                                    (350.0, CommandGiven(Command.YES, heard="y"))))
        (episode,) = diary.episodes()
    assert episode.eased == "yes" and episode.unheard == 1


def test_the_file_is_0600_from_its_creation_whatever_the_umask_and_stays_so(tmp_path: Path) -> None:
    path = tmp_path / "new" / "d.sqlite3"
    old = os.umask(0)
    try:
        with Diary.open(path) as diary:
            session_into(diary)
            modes = {p.name: stat.S_IMODE(p.stat().st_mode) for p in path.parent.iterdir()}
    finally:
        os.umask(old)
    assert modes["d.sqlite3"] == 0o600
    assert all(mode == 0o600 for mode in modes.values()), modes  # the write-ahead log and its index too
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    path.chmod(0o644)  # widened by someone: narrowed again before anything is written
    Diary.open(path).close()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_a_killed_session_shows_unfinished_with_what_it_had_written(tmp_path: Path) -> None:
    with Diary.open(tmp_path / "d.sqlite3") as diary:
        sink = diary.begin(0.0, print, wall=NOW)
        sink.write("start", 0.0, title="Calf cramp", steps=6, script="calf", muscle="calf", relief=True)
        sink.write("step", 1.0, index=1, of=6)
        sink.write("hold_start", 2.0, index=1, seconds=30)
        # ... and the process is gone: no end.
    with Diary.open(tmp_path / "d.sqlite3") as diary:
        (episode,) = diary.episodes()
        assert [e["type"] for e in diary.events(episode.id)] == ["start", "step", "hold_start"]
    assert (episode.ended, episode.step, episode.muscle, episode.length_s) == ("unfinished", 1, "calf", 2.0)


def test_the_next_session_knows_the_history_and_leaves_out_the_guide_note(tmp_path: Path) -> None:
    with Diary.open(tmp_path / "d.sqlite3") as diary:
        assert diary.history(NOW).first_session
        _, _, _, first = session_into(diary, wall=NOW)
        history = diary.history(NOW + 3600)
        _, _, _, second = session_into(diary, wall=NOW + 3600)
        _, _, _, third = session_into(diary, wall=NOW + 7200)
        _, _, _, fourth = session_into(diary, wall=NOW + 10_800)
        episodes = diary.episodes()
    assert not history.first_session and len(history.past) == 1 and history.past[0].start == -3600
    assert P.INTRO_GUIDE in first.said and P.INTRO_GUIDE not in second.said
    assert P.SEE_A_DOCTOR in third.said and P.SEE_A_DOCTOR not in fourth.said  # once a week at most
    assert [e.advised for e in episodes] == ["", "frequent", "", ""]  # newest first


def damaged(path: Path) -> bytes:
    """A real diary with garbage written over its middle pages."""
    with Diary.open(path) as diary:
        for i in range(40):
            sink = diary.begin(0.0, print, wall=NOW + i)
            for n in range(30):
                sink.write("say", float(n), text=f"sentence {n} " * 20)
        diary.connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    data = bytearray(path.read_bytes())
    data[8192:len(data) - 8192] = b"\xde\xad" * ((len(data) - 16384) // 2)
    path.write_bytes(bytes(data))
    return bytes(data)


@pytest.mark.parametrize("kind", ["random bytes", "damaged pages", "newer version", "empty pages"])
def test_a_diary_that_cannot_be_used_is_one_sentence_and_is_never_written_over(kind: str) -> None:
    path = diary_path()
    path.parent.mkdir(parents=True)
    if kind == "random bytes":
        path.write_bytes(bytes(range(256)) * 64)
    elif kind == "damaged pages":
        damaged(path)
    elif kind == "empty pages":
        path.write_bytes(b"SQLite format 3\x00" + b"\x00" * 4080)
    else:
        with Diary.open(path) as diary:
            diary.connection.execute(f"PRAGMA user_version={SCHEMA_VERSION + 1}")
    before = path.read_bytes()
    code, out, err = run_main("diary")
    assert code == 1 and "Traceback" not in out + err
    assert err.startswith(f"crampvoice: error: the diary {path} ") and "move it away" in err
    if kind == "newer version":
        assert "newer crampvoice" in err
    # A session: one sentence, and the session is not kept; the file is left as it was.
    from crampvoice.cli import diary as cli_diary

    view_text = io.StringIO()
    with contextlib.ExitStack() as stack:
        assert cli_diary.for_session(stack, 0.0, lambda event: None, TextView(view_text)) is None
    (line,) = view_text.getvalue().splitlines()
    assert line.startswith("The diary is off:") and f"a new one will be made at {path}" in line
    assert path.read_bytes() == before


def test_two_diaries_open_at_once_both_land_whole(tmp_path: Path) -> None:
    """Two connections, events interleaved one by one, as two sessions at once would write them."""
    path = tmp_path / "d.sqlite3"
    with Diary.open(path) as a, Diary.open(path) as b:
        sinks = [a.begin(0.0, print, wall=NOW), b.begin(0.0, print, wall=NOW + 1)]
        for n in range(200):
            for k, sink in enumerate(sinks):
                sink.write("say", float(n), text=f"session {k} line {n}")
        episodes = a.episodes()
        assert [len(a.events(e.id)) for e in episodes] == [200, 200]
        assert all(ev["text"] == f"session {e.id - 1} line {n}" for e in episodes
                   for n, ev in enumerate(a.events(e.id)))


def test_a_new_diary_made_by_several_sessions_at_once_opens_for_each(tmp_path: Path) -> None:
    """The first opening switches the file to write-ahead logging: sessions meeting there each wait their turn."""
    for round_ in range(100):  # the race is narrow: one round in ten or so lost a session before it was mended
        path = tmp_path / str(round_) / "diary.sqlite3"
        assert at_once(*[lambda path=path: Diary.open(path).close()] * 4) == []
        with Diary.open(path) as diary:
            assert diary.connection.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


AWKWARD = ["=HYPERLINK(\"http://x\")", "calf, left", "say \"ow\"\nthen rest", "-2 stretch", "mollet gauche é",
           "@SUM(A1)", "+1", "", "tab\tinside"]


def test_csv_and_json_read_back_give_the_same_episodes_and_run_no_formula() -> None:
    with Diary.open(diary_path()) as diary:
        for i, text in enumerate(AWKWARD):
            sink = diary.begin(0.0, print, wall=NOW + i * 3600.123)
            sink.write("start", 0.0, title=text, steps=3, script=text[:5], muscle=text, relief=i % 2 == 0)
            sink.write("command", 1.5, command="next", by="voice" if i % 2 else "key", heard="next")
            sink.write("answer", 2.25, index=2, answer="no", given=True)
            if i % 3:
                sink.write("end", 3.0 + i, reason="stopped")
        episodes = diary.episodes()
    code, csv_text, _ = run_main("diary", "--csv")
    assert code == 0 and diaryview.from_csv(csv_text) == episodes
    code, json_text, _ = run_main("diary", "--json")
    assert code == 0 and diaryview.from_json(json_text) == episodes
    for line in csv_text.splitlines()[1:]:
        for cell in line.split(","):
            assert not cell.startswith(("=", "@", "+")), cell  # a spreadsheet shows these as text
    code, since_text, _ = run_main("diary", "--json", "--since", diaryview.when(NOW + 5 * 3600.123)[:19])
    assert [e.id for e in diaryview.from_json(since_text)] == [e.id for e in episodes if e.started >= NOW + 5 * 3600]


def test_the_table_and_the_summary_say_what_happened(capsys: pytest.CaptureFixture[str]) -> None:
    import time

    now = time.time()
    with Diary.open(diary_path()) as diary:
        for i, length in enumerate([60, 700, 90]):
            sink = diary.begin(0.0, print, wall=now - 3600 * (i + 1))
            sink.write("start", 0.0, title="Calf cramp", steps=6, script="calf", muscle="calf", relief=True)
            sink.write("answer", 5.0, index=5, answer="yes" if i else "no", given=True)
            sink.write("end", float(length), reason="completed")
    code, out, _ = run_main("diary")
    lines = out.splitlines()
    assert code == 0 and lines[0].split()[:3] == ["when", "script", "muscle"] and len(lines) == 4
    assert "11:40" in out and "completed" in out
    code, out, _ = run_main("diary", "summary")
    assert code == 0
    assert "(this week): 3 episodes; calf 3; 14:10 in all, longest 11:40; ended: 3 completed; eased: 2 of 3." \
        in out or "(last week): " in out  # on a Monday just after midnight some fall in last week
    assert "Rule met: three or more episodes in seven days; an episode longer than ten minutes" in out


def test_no_diary_yet_is_said_plainly() -> None:
    for argv in (["diary"], ["diary", "summary"], ["diary", "forget", "--all", "--yes"]):
        code, out, err = run_main(*argv)
        assert code == 0 and out.startswith("No diary yet") and err == ""


def test_forget_asks_and_without_a_terminal_or_yes_refuses_clearly_and_erases_nothing() -> None:
    with Diary.open(diary_path()) as diary:
        for i in range(3):
            sink = diary.begin(0.0, print, wall=NOW + i * 86400)
            sink.write("start", 0.0, title=f"SECRET-MARKER-{i}", steps=1, script="calf", muscle="calf", relief=True)
    code, out, err = run_main("diary", "forget", "--all", stdin=io.StringIO("yes\n"))
    assert code == 1 and "no terminal to ask on" in err and "--yes" in err
    code, out, err = run_main("diary", "forget", "--before", "2026-01-01")
    assert code == 0 and "Nothing to erase" in out
    with Diary.open(diary_path()) as diary:
        assert len(diary.episodes()) == 3
    code, out, _ = run_main("diary", "forget", "--before", diaryview.when(NOW + 86400)[:19], "--yes")
    assert code == 0 and out.startswith("Erased 1 episode, every one begun before ")
    code, out, _ = run_main("diary", "forget", "--all", "--yes")
    assert code == 0 and out == "Erased 2 episodes.\n"
    with Diary.open(diary_path()) as diary:
        assert diary.episodes() == []
    files = b"".join(p.read_bytes() for p in diary_path().parent.iterdir())
    assert b"SECRET-MARKER" not in files  # erased from the file, not only unlinked


def test_a_bad_date_is_a_usage_error_naming_the_form() -> None:
    err = io.StringIO()
    with contextlib.redirect_stderr(err), pytest.raises(SystemExit) as exit_:
        main(["diary", "--since", "last tuesday"])
    assert exit_.value.code == 2 and "give it as YYYY-MM-DD" in err.getvalue()


def test_help_says_it_is_a_guide_not_a_doctor(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["--help"])
    assert "guide, not a doctor" in " ".join(capsys.readouterr().out.split())


def test_the_diary_refuses_a_folder_or_a_fifo_in_its_place() -> None:
    path = diary_path()
    path.mkdir(parents=True)
    with pytest.raises(DiaryError):
        Diary.open(path)
    assert path.is_dir()


def test_a_schema_older_than_this_one_is_brought_up_to_date(tmp_path: Path) -> None:
    path = tmp_path / "d.sqlite3"
    sqlite3.connect(path).close()  # version 0: an empty file
    with Diary.open(path) as diary:
        assert diary.connection.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        assert diary.connection.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_plot_draws_a_real_png_and_svg(tmp_path: Path) -> None:
    pytest.importorskip("matplotlib")
    with Diary.open(diary_path()) as diary:
        for i, reason in enumerate(["completed", "stopped", "interrupted", ""]):
            sink = diary.begin(0.0, print, wall=NOW + i * 86400)
            sink.write("start", 0.0, title="Calf cramp", steps=6, script="calf", muscle="calf", relief=True)
            if reason:
                sink.write("end", 300.0 + 200 * i, reason=reason)
    code, out, err = run_main("diary", "plot", "-o", str(tmp_path / "d.png"))
    assert code == 0 and out == f"Wrote {tmp_path / 'd.png'}: 4 episodes.\n", err
    assert (tmp_path / "d.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    code, _, _ = run_main("diary", "plot", "-o", str(tmp_path / "d.svg"))
    assert code == 0 and b"<svg" in (tmp_path / "d.svg").read_bytes()[:1000]
    code, _, err = run_main("diary", "plot", "-o", str(tmp_path / "d.gif"))
    assert code == 1 and "FILE.png or FILE.svg" in err


def test_plot_without_matplotlib_names_the_install_command(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    Diary.open(diary_path()).close()
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # as when it is not installed: importing it fails
    code, _, err = run_main("diary", "plot", "-o", str(tmp_path / "d.png"))
    assert code == 1 and "needs matplotlib, which is not installed" in err
    assert "pip install 'crampvoice[plot]'" in err and not (tmp_path / "d.png").exists()
