"""The person's voice folder as people and programs leave it, and the words they teach, through the
real program: nothing found there stops a session, and no word takes stop, pause or emergency away."""

from __future__ import annotations

import json
import os
import struct
import subprocess
import sys
from pathlib import Path

import pytest

DATA = Path(__file__).parent / "data"
GEORGE = DATA / "personal"
SHORT = DATA / "short.yaml"
STOP = DATA / "human" / "speech_commands_v002__stop_4f8ef132_nohash_0.wav"
CRAMPVOICE = [sys.executable, "-m", "crampvoice"]


def crampvoice(*args: str | Path, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run([*CRAMPVOICE, *map(str, args)], input=stdin, capture_output=True, text=True, timeout=300)


def teach_seven() -> Path:
    """george's "seven" taught for next; returns its folder of takes."""
    done = crampvoice("words", "add", "seven", "--as", "next", *(GEORGE / f"7_george_{i}.wav" for i in range(3)))
    assert done.returncode == 0, done.stderr
    return Path(os.environ["XDG_DATA_HOME"]) / "crampvoice" / "voice" / "next" / "seven"


def wav_saying(rate_hz: int, channels: int) -> bytes:
    """A WAV header that says what it likes, over a tenth of a second of silence."""
    data = bytes(3200)
    return struct.pack("<4sI4s4sIHHIIHH4sI", b"RIFF", 36 + len(data), b"WAVE", b"fmt ", 16, 1, channels, rate_hz,
                       rate_hz * 2 * channels, 2 * channels, 16, b"data", len(data)) + data


def leave_everything_there(folder: Path) -> list[str]:
    """What a person or a program might leave among the takes; the names a take could have."""
    (folder / "4.wav").write_text("not audio")
    (folder / "5.wav").symlink_to("6.wav")
    (folder / "6.wav").symlink_to("5.wav")  # a loop
    (folder / "7.wav").symlink_to("gone.wav")  # a link to nothing
    os.mkfifo(folder / "8.wav")  # would wait for ever if opened
    (folder / "9.wav").mkdir()
    (folder / "10.wav").write_bytes(b"")
    (folder / "11.wav").write_bytes(wav_saying(0, 1))
    (folder / "12.wav").write_bytes(wav_saying(16000, 0))
    (folder / "13.wav").write_bytes(wav_saying(16000, 1)[:30])  # cut short in its header
    (folder / "notes.txt").write_text("george's takes")
    (folder.parent / "README").write_text("a file among the words")
    (folder.parent.parent / "yes").write_text("a file where a command's folder goes")
    return [f"{n}.wav" for n in range(4, 14)]


@pytest.mark.slow
def test_a_voice_folder_with_anything_in_it_still_hears_the_taught_word_and_names_what_it_passed_over() -> None:
    folder = teach_seven()
    odd = leave_everything_there(folder)
    done = crampvoice("recognize", "--json", GEORGE / "7_george_10.wav")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["command"] == "next"
    assert "Traceback" not in done.stderr
    (note,) = [line for line in done.stderr.splitlines() if "Passed over" in line]
    assert "Passed over 10 takes that cannot be read as a recording" in note and "and 5 more" in note
    listed = crampvoice("words", "list")
    assert listed.returncode == 0 and "'seven': 3 takes" in listed.stdout, listed.stderr
    assert all(name in listed.stdout for name in odd[:5])  # named once, the first five in full
    doctor = crampvoice("doctor")
    assert "Traceback" not in doctor.stderr and "Listening for your voice: 1 word from 3 takes." in doctor.stdout


@pytest.mark.slow
def test_a_session_starts_with_a_stray_file_among_the_takes_and_words_remove_clears_them(tmp_path: Path) -> None:
    folder = teach_seven()
    leave_everything_there(folder)
    env = {**os.environ, "XDG_RUNTIME_DIR": str(tmp_path), "PULSE_SERVER": f"unix:{tmp_path}/none"}
    run = subprocess.run([*CRAMPVOICE, "run", str(SHORT), "--text"], input="stop\nyes\n", env=env,
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0 and "Traceback" not in run.stderr, run.stderr
    assert "typed: stop" in run.stdout and "Stopping now." in run.stdout
    removed = crampvoice("words", "remove", "seven")
    assert removed.returncode == 0, removed.stderr
    assert "Deleted 12 takes of 'seven'." in removed.stdout  # the unreadable ones too; not a folder
    assert sorted(p.name for p in folder.iterdir()) == ["9.wav", "notes.txt"]


def test_a_wav_header_saying_0_hz_or_no_channels_is_one_plain_line(tmp_path: Path) -> None:
    for rate_hz, channels, says in ((0, 1, "its header says 0 Hz"), (16000, 0, "its header says 0 channels"),
                                    (3_000_000, 1, "its header says 3000000 Hz")):
        path = tmp_path / f"{rate_hz}-{channels}.wav"
        path.write_bytes(wav_saying(rate_hz, channels))
        for argv in (("recognize", path), ("words", "add", "okay", "--as", "next", path)):
            done = crampvoice(*argv)
            assert done.returncode == 1 and "Traceback" not in done.stderr, done.stderr
            (line, *_) = done.stderr.splitlines()
            assert line.startswith(f"crampvoice: error: {path}: cannot read it as audio (") and says in line, line


def test_a_safety_word_cannot_be_taught_as_another_command_and_a_default_word_needs_force() -> None:
    takes = [GEORGE / f"7_george_{i}.wav" for i in range(3)]
    for word in ("stop", "Pause", "emergency", "wait"):
        done = crampvoice("words", "add", word, "--as", "next", "--force", *takes)
        assert done.returncode == 1, done.stdout
        assert done.stderr.startswith(f"crampvoice: error: {word!r} is how anyone says "), done.stderr
    refused = crampvoice("words", "add", "back", "--as", "next", *takes)
    assert refused.returncode == 1
    assert refused.stderr == ("crampvoice: error: 'back' means back already\n"
                              "  hint: choose another word, or add --force to make it mean next and no longer back\n")
    forced = crampvoice("words", "add", "back", "--as", "next", "--force", *takes)
    assert forced.returncode == 0, forced.stderr
    assert "'back' now means next for you; it no longer means back." in forced.stdout
    again = crampvoice("words", "add", "back", "--as", "yes", "--force", *takes)
    assert again.returncode == 1 and "'back' is taught already as next" in again.stderr


@pytest.mark.slow
def test_takes_of_stop_left_under_another_command_do_not_take_stop_away() -> None:
    """As an older version let a person do: other people's "stop" is still stop."""
    from crampvoice.audio import read_wav
    from crampvoice.core.commands import Command
    from crampvoice.listen import takes

    before = json.loads(crampvoice("recognize", "--json", STOP).stdout)
    assert before["command"] == "stop"
    for i in range(3):
        takes.add(read_wav(GEORGE / f"4_george_{i}.wav"), Command.NEXT, "stop")
    done = crampvoice("recognize", "--json", STOP)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["command"] == "stop"
    assert "Not listening for 'stop' in your voice as another command" in done.stderr


def test_words_in_any_language_and_script_are_kept_whole() -> None:
    takes = [GEORGE / f"7_george_{i}.wav" for i in range(3)]
    for word, command in (("café", "next"), ("Nächste", "back"), ("да", "yes"), ("é", "no")):
        done = crampvoice("words", "add", word, "--as", command, *takes[:1] if command == "no" else takes)
        assert done.returncode == 0, done.stderr
    listed = crampvoice("words", "list").stdout
    for line in ("next           'café': 3 takes", "back           'nächste': 3 takes", "yes            'да': 3 takes",
                 "no             'é': 1 take"):
        assert line in listed, listed
    removed = crampvoice("words", "remove", "NÄCHSTE")
    assert removed.returncode == 0 and "Deleted 3 takes of 'NÄCHSTE'." in removed.stdout


def test_a_word_too_long_for_a_folder_is_said_so_in_a_short_line() -> None:
    done = crampvoice("words", "add", "a" * 10_000, "--as", "next", GEORGE / "7_george_0.wav")
    assert done.returncode == 1
    assert done.stderr == (f"crampvoice: error: '{'a' * 40}…' is too long for a word (10000 characters)\n"
                           "  hint: give a word or a short phrase, as it is said\n")


def test_the_same_recording_given_twice_is_one_take_and_said_so() -> None:
    take = GEORGE / "7_george_0.wav"
    done = crampvoice("words", "add", "seven", "--as", "next", take, take, GEORGE / "7_george_1.wav")
    assert done.returncode == 0, done.stderr
    assert "Kept 2 takes of 'seven' for next; 1 recording was the same as another, kept once." in done.stdout
    again = crampvoice("words", "add", "seven", "--as", "next", take)
    assert "Kept 0 takes of 'seven' for next; 1 recording was the same as another, kept once." in again.stdout


def test_recognize_escapes_a_file_name_in_its_result_and_its_error(tmp_path: Path) -> None:
    named = tmp_path / "a\x1b[2Jb.wav"
    named.write_bytes((DATA / "corpus" / "next_clean.wav").read_bytes())
    broken = tmp_path / "c\x1b]0;owned\x07d.wav"
    broken.write_text("not audio")
    done = crampvoice("recognize", named, broken)
    assert done.returncode == 1
    assert "\x1b" not in done.stdout + done.stderr and "\x07" not in done.stderr
    assert done.stdout.startswith(f"{tmp_path}/a\\x1b[2Jb.wav: next (heard 'next'")
    assert f"{tmp_path}/c\\x1b]0;owned\\x07d.wav: cannot read it as audio" in done.stderr


def test_recognize_names_the_closest_phrase_as_closest_not_as_what_was_heard() -> None:
    teach_seven()
    done = crampvoice("recognize", "--json", GEORGE / "2_george_5.wav", GEORGE / "7_george_10.wav")
    other, taken = map(json.loads, done.stdout.splitlines())
    assert (other["command"], other["text"]) == (None, None) and other["closest"] in (None, "seven")
    assert (taken["command"], taken["text"], taken["closest"]) == ("next", "seven", None)


def test_words_unheard_lists_a_fifo_or_a_broken_clip_without_opening_it_and_keeps_a_guess_whole() -> None:
    from crampvoice.audio import Audio
    from crampvoice.listen import unheard

    kept = unheard.keep(Audio(bytes(3200), 16000), "café")
    folder = kept.parent
    os.mkfifo(folder / "20261123-021502-1-okay.wav")
    (folder / "20261123-021503-1-next.wav").write_text("not audio")
    done = crampvoice("words", "unheard")  # a FIFO opened would wait for ever: the timeout would fail it
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert "0.1 s  closest: 'café'" in lines[0]
    assert sum(" 0.0 s  closest: " in line for line in lines) == 2


def test_words_add_as_the_first_thing_done_makes_the_data_folder_private() -> None:
    import stat

    teach_seven()
    data = Path(os.environ["XDG_DATA_HOME"]) / "crampvoice"
    for folder in (data, data / "voice", data / "voice" / "next", data / "voice" / "next" / "seven"):
        assert stat.S_IMODE(folder.stat().st_mode) == 0o700, folder
