"""Listening in a real session: real espeak-ng, pocketsphinx and a virtual PulseAudio microphone."""

from __future__ import annotations

import json
import os
import queue
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import AbstractContextManager
from pathlib import Path
from typing import IO

import pytest

from . import pulse as pa
from .child import killed_on_failure

pytestmark = pytest.mark.slow

CRAMPVOICE = [sys.executable, "-m", "crampvoice"]
# espeak-ng saying "next" (its "next step" Moonshine, the general recogniser, writes down as "No excuse to
# stay up": a synthetic voice; real ones are measured by bench/general.py)
NEXT = Path(__file__).parent / "data" / "corpus" / "next_clean.wav"

# A first step with no hold, so that the notes are said after it and its hold is quiet: while
# crampvoice speaks it does not listen (as during the notes in a first hold).
LONG_HOLD = """\
crampvoice: 1
title: Long hold
safety: [Get help if it lasts.]
steps:
  - say: Sit down.
  - massage: Rub the calf.
    hold: 60
  - say: Sip some water.
"""

# Every sentence says command words; the last three are nothing but.
FULL_OF_COMMANDS = """\
crampvoice: 1
title: Next stop repeat
safety: [Stop and get help if the cramp does not ease in ten minutes.]
steps:
  - stretch: Next, go back to the wall and stop there. Say that again if you need to, then pause please.
    hold: 3
  - say: Repeat. Next step. Go back. Stop. Pause. Help. Carry on. Wait. Go.
  - say: Next.
  - say: Stop.
  - say: Repeat.
"""


@pytest.fixture
def env() -> Iterator[dict[str, str]]:
    if not pa.available():
        pytest.skip("PulseAudio is not installed")
    with pa.pulse_server() as environment:
        yield environment


def events(stream: IO[str]) -> Iterator[dict[str, object]]:
    for line in stream:
        yield json.loads(line)


def play_into_microphone(env: dict[str, str], wav: Path) -> None:
    subprocess.run(["paplay", "--device=micfeed", str(wav)], env=env, check=True, timeout=30)


def session(env: dict[str, str], script: Path) -> AbstractContextManager[subprocess.Popen[str]]:
    return killed_on_failure(subprocess.Popen([*CRAMPVOICE, "run", str(script), "--events", "-"], env=env, text=True,
                                              stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                              stderr=subprocess.PIPE))


def said_during_a_hold(env: dict[str, str], script: Path, clips: list[Path]) -> tuple[list[dict[str, object]], str]:
    """Runs a session and plays the clips into its microphone once its first hold has started,
    one after another until a command is heard; every event to the end, and standard error.

    The same clip scores a little differently with each 20 ms framing: like a person not heard
    the first time, it is said again."""
    with session(env, script) as proc:
        assert proc.stdout is not None
        arrived = event_queue(proc.stdout)
        seen = [until(arrived, "hold_start")]
        for clip in clips:
            time.sleep(1.0)
            play_into_microphone(env, clip)
            seen += drain(arrived, 3.0)
            if any(e["type"] == "command" for e in seen):
                break
        if seen[-1]["type"] != "end":  # the end may have come within the last wait
            seen.append(until(arrived, "end"))
        _, err = proc.communicate(timeout=60)
    return seen, err


def moved_on_by_next(env: dict[str, str], folder: Path, clip: Path) -> str:
    """A long hold, `clip` said (up to three times) into the microphone once it has started: the
    session must go on to the end at once, by voice; its standard error."""
    script = folder / "hold.yaml"
    script.write_text(LONG_HOLD)
    seen, err = said_during_a_hold(env, script, [clip] * 3)
    commands = [e for e in seen if e["type"] == "command"]
    assert commands and commands[0]["command"] == "next" and commands[0]["by"] == "voice", err
    hold = next(e for e in seen if e["type"] == "hold_start")
    assert float(str(commands[0]["t"])) - float(str(hold["t"])) < 15  # not the 60 s hold
    assert seen[-1]["reason"] == "completed"
    return err


def test_next_said_into_the_microphone_moves_the_session_on(env: dict[str, str], tmp_path: Path) -> None:
    err = moved_on_by_next(env, tmp_path, NEXT)
    assert "heard: next" in err and "Listening." in err


def event_queue(stream: IO[str]) -> queue.SimpleQueue[dict[str, object]]:
    arrived: queue.SimpleQueue[dict[str, object]] = queue.SimpleQueue()

    def read() -> None:
        for event in events(stream):
            arrived.put(event)

    threading.Thread(target=read, daemon=True).start()
    return arrived


def until(arrived: queue.SimpleQueue[dict[str, object]], type_: str) -> dict[str, object]:
    before: list[dict[str, object]] = []
    while True:
        try:
            event = arrived.get(timeout=90)
        except queue.Empty:
            raise AssertionError(f"no {type_} event within 90 s; before it: {before}") from None
        if event["type"] == type_:
            return event
        before.append(event)


def drain(arrived: queue.SimpleQueue[dict[str, object]], seconds: float) -> list[dict[str, object]]:
    got, deadline = [], time.monotonic() + seconds
    while (left := deadline - time.monotonic()) > 0:
        try:
            got.append(arrived.get(timeout=left))
        except queue.Empty:
            break
    return got


def test_its_own_voice_heard_by_its_microphone_sets_nothing_off(env: dict[str, str], tmp_path: Path) -> None:
    pa.loop_back(env)
    script = tmp_path / "commands.yaml"
    script.write_text(FULL_OF_COMMANDS)
    microphone = pa.Monitor(env, device="vmic")
    started = time.monotonic()
    try:
        with session(env, script) as proc:
            out, err = proc.communicate(timeout=120)
    finally:
        microphone.close()
    seen = [json.loads(line) for line in out.splitlines()]
    said = [e["text"] for e in seen if e["type"] == "say"]
    assert "Next." in said and "Stop." in said and "Listening." in err
    assert microphone.loud_between(started, time.monotonic()) > 10  # it did hear itself, for seconds
    assert [e for e in seen if e["type"] in ("command", "ignored")] == []
    assert seen[-1]["type"] == "end" and seen[-1]["reason"] == "completed"


def test_with_no_microphone_the_keys_work_and_it_says_so_once(tmp_path: Path) -> None:
    env = {**os.environ, "XDG_RUNTIME_DIR": str(tmp_path), "PULSE_SERVER": f"unix:{tmp_path}/none"}
    done = subprocess.run([*CRAMPVOICE, "run", str(Path(__file__).parent / "data" / "short.yaml"), "--text"],
                          env=env, input="next\nnext\nnext\n", capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.count("Listening is off:") == 1 and "Use the keys instead." in done.stdout
    assert done.stdout.count("typed: next") == 3
    assert "Traceback" not in done.stderr


def test_a_microphone_asked_for_by_a_name_that_matches_none_is_said_and_the_keys_work(
        env: dict[str, str]) -> None:
    done = subprocess.run([*CRAMPVOICE, "run", str(Path(__file__).parent / "data" / "short.yaml"), "--text",
                           "--mic", "no such microphone"], env=env, input="stop\nyes\n", capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.count("Listening is off: no single microphone matches 'no such microphone'") == 1
    assert "typed: stop" in done.stdout and "Traceback" not in done.stderr


def test_a_microphone_that_goes_silent_mid_session_is_said_once_and_the_session_goes_on(
        env: dict[str, str], tmp_path: Path) -> None:
    script = tmp_path / "hold.yaml"
    script.write_text(LONG_HOLD.replace("hold: 60", "hold: 8"))
    with session(env, script) as proc:
        assert proc.stdout is not None
        seen = []
        for event in events(proc.stdout):
            seen.append(event)
            if event["type"] == "hold_start":
                subprocess.run(["pactl", "suspend-source", "vmic", "1"], env=env, check=True)
            if event["type"] == "end":
                break
        _, err = proc.communicate(timeout=60)
    notices = [e for e in seen if e["type"] == "notice"]
    assert len(notices) == 1 and "microphone stopped working" in str(notices[0]["text"]), err
    assert seen[-1]["reason"] == "completed"
    assert "Traceback" not in err


def test_a_word_that_is_no_command_is_logged_as_unheard_kept_and_taught_with_one_command(env: dict[str, str], tmp_path: Path) -> None:
    script = tmp_path / "hold.yaml"
    script.write_text(LONG_HOLD.replace("hold: 60", "hold: 12"))
    talk = Path(__file__).parent / "data" / "corpus" / "the-weather-tonight_clean.wav"
    with session(env, script) as proc:
        assert proc.stdout is not None
        arrived = event_queue(proc.stdout)
        seen = [until(arrived, "hold_start")]
        time.sleep(1.0)
        play_into_microphone(env, talk)
        while seen[-1]["type"] != "end":  # every event to the end: the decision may come late on a busy machine
            seen.append(arrived.get(timeout=90))
        _, err = proc.communicate(timeout=60)
    unheard = [e for e in seen if e["type"] == "unheard"]
    assert unheard, (seen, err)
    assert isinstance(unheard[0]["guess"], str) and 0 <= float(str(unheard[0]["score"])) <= 1
    assert [e for e in seen if e["type"] == "command"] == []
    assert seen[-1]["reason"] == "completed"
    clip = Path(str(unheard[0]["clip"]))
    assert clip.is_file(), unheard
    listed = subprocess.run([*CRAMPVOICE, "words", "unheard"], capture_output=True, text=True, timeout=60)
    assert str(clip) in listed.stdout, listed
    taught = subprocess.run([*CRAMPVOICE, "words", "add", "weather", "--as", "next", str(clip)],
                            capture_output=True, text=True, timeout=120)
    assert taught.returncode == 0 and "Kept 1 take of 'weather' for next." in taught.stdout, taught
    words = subprocess.run([*CRAMPVOICE, "words", "list"], capture_output=True, text=True, timeout=60)
    assert "next           'weather': 1 take" in words.stdout, words
    assert not clip.exists()  # a take now, no longer something not understood
