"""Teaching through a real terminal and the virtual microphone, then a session that hears the person.

A real person's takes (tests/data/personal) are played into the microphone when `teach`
asks for them; george says "seven" where the prompt asks for "next", so only his takes, not
any dictionary, can make the following session hear "seven" as next.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pexpect
import pytest

from . import pulse as pa
from .test_listen_live import LONG_HOLD, play_into_microphone, said_during_a_hold

pytestmark = pytest.mark.slow

GEORGE = Path(__file__).parent / "data" / "personal"


@pytest.fixture
def env(own_dirs: Path) -> Iterator[dict[str, str]]:
    if not pa.available():
        pytest.skip("PulseAudio is not installed")
    with pa.pulse_server() as environment:
        yield {**environment, "XDG_DATA_HOME": os.environ["XDG_DATA_HOME"],
               "XDG_CONFIG_HOME": os.environ["XDG_CONFIG_HOME"]}


@contextmanager
def teaching(env: dict[str, str], *words: str) -> Iterator[pexpect.spawn]:
    """`crampvoice teach WORDS --text` in a real terminal, to be answered; it must end, with status 0."""
    child = pexpect.spawn(sys.executable, ["-m", "crampvoice", "teach", *words, "--text"], env=env,
                          encoding="utf-8", timeout=90, dimensions=(40, 200))
    try:
        yield child
        child.expect(pexpect.EOF)
    finally:
        child.close()
    assert child.exitstatus == 0, child.before


def test_teach_keeps_the_takes_builds_the_model_and_a_session_then_hears_the_word(
        env: dict[str, str], own_dirs: Path, tmp_path: Path) -> None:
    with teaching(env, "next") as child:
        child.expect("Teaching crampvoice your voice: 1 word\\.")
        for take in range(3):
            child.expect(rf"\({take + 1} of 3\)")
            play_into_microphone(env, GEORGE / f"7_george_{take}.wav")
        child.expect("Learnt your voice: 1 word from 3 takes")
    voice = own_dirs / "data" / "crampvoice" / "voice"
    assert sorted(p.name for p in (voice / "next" / "next").glob("*.wav")) == ["1.wav", "2.wav", "3.wav"]
    assert (voice / "model.npz").is_file()

    script = tmp_path / "hold.yaml"
    script.write_text(LONG_HOLD)
    seen, err = said_during_a_hold(env, script, [GEORGE / f"7_george_{take}.wav" for take in (10, 20, 10)])
    commands = [e for e in seen if e["type"] == "command"]
    assert commands and commands[0]["command"] == "next" and commands[0]["by"] == "voice", err
    assert "Listening for your voice: 1 word from 3 takes." in err


def test_teach_asks_twice_more_for_a_word_it_is_unsure_of(env: dict[str, str], own_dirs: Path) -> None:
    with teaching(env, "next") as child:
        for take, digit in enumerate((7, 7, 4)):  # the third take is "four", not the "seven" of the others
            child.expect(rf"\({take + 1} of 3\)")
            play_into_microphone(env, GEORGE / f"{digit}_george_{take}.wav")
        child.expect("I am not sure of next yet.")
        for take, name in ((4, "7_george_2"), (5, "7_george_10")):
            child.expect(rf"\({take} of 5\)")
            play_into_microphone(env, GEORGE / f"{name}.wav")
        child.expect("Learnt your voice: 1 word from 5 takes")
    voice = own_dirs / "data" / "crampvoice" / "voice"
    assert len(list((voice / "next" / "next").glob("*.wav"))) == 5


def test_teach_stops_on_a_key_and_keeps_what_was_said(env: dict[str, str], own_dirs: Path) -> None:
    with teaching(env, "stop", "pause") as child:  # ends with status 0: stopping is the person's choice
        child.expect(r"Say: stop\. \(1 of 3\)")
        play_into_microphone(env, GEORGE / "4_george_0.wav")
        child.expect(r"\(2 of 3\)")
        child.send("s")
        child.expect("Stopped. What you said is kept; run 'crampvoice teach' to go on.")
    kept = own_dirs / "data" / "crampvoice" / "voice" / "stop" / "stop"
    assert [p.name for p in kept.glob("*.wav")] == ["1.wav"]


def test_ctrl_c_ends_teach_at_once_with_the_terminal_restored(env: dict[str, str], own_dirs: Path) -> None:
    command = f"{sys.executable} -m crampvoice teach stop --text; echo status $?; stty -a"
    child = pexpect.spawn("/bin/sh", ["-c", command], env=env, encoding="utf-8", timeout=90, dimensions=(40, 200))
    try:
        child.expect(r"Say: stop\. \(1 of 3\)")
        child.sendcontrol("c")
        child.expect(r"status (\d+)")
        status = int(child.match.group(1))
        child.expect(pexpect.EOF)
        modes = f" {child.before} ".replace("\r\n", " ")
    finally:
        child.close()
    assert status == 130
    assert " echo " in modes and " icanon " in modes, modes  # not -echo, -icanon: raw mode is undone
    assert "Traceback" not in modes
