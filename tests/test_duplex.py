"""Listening while it speaks, without a sound server: the guard that hears a frame only when it
stands out of the echo left, SpeexDSP's canceller on a known echo, and the microphone's rules."""

from __future__ import annotations

import numpy as np
import pytest

from crampvoice.core.commands import Command
from crampvoice.listen.duplex import FRAME, WHILE_SPEAKING, Guard, SpeexCanceller, speexdsp


def pcm(x: np.ndarray) -> bytes:
    return bytes(np.clip(x, -32768, 32767).astype("<i2").tobytes())


def level_db(frame: bytes) -> float:
    return float(10 * np.log10(np.mean(np.frombuffer(frame, "<i2").astype(float) ** 2) + 1e-9))


def test_the_guard_silences_what_the_canceller_left_and_keeps_a_voice_over_it() -> None:
    rng = np.random.default_rng(1)
    guard = Guard(20.0, around=0)
    for _ in range(300):  # six seconds of its own speech, the canceller leaving it 30 dB down
        played = rng.standard_normal(FRAME) * 3000
        assert guard.process(pcm(played * 10 ** (-30 / 20)), pcm(played)) == bytes(2 * FRAME)
    played = rng.standard_normal(FRAME) * 3000
    voice = pcm(played * 10 ** (-30 / 20) + rng.standard_normal(FRAME) * 3000)  # a person, at its level
    assert guard.process(voice, pcm(played)) == voice
    quiet = pcm(rng.standard_normal(FRAME) * 100)
    for _ in range(20):  # nothing played for longer than its echo lasts: heard as it is
        out = guard.process(quiet, bytes(2 * FRAME))
    assert out == quiet


def test_the_guard_keeps_the_frames_either_side_of_one_heard_and_is_as_late() -> None:
    rng = np.random.default_rng(3)
    guard = Guard(20.0, around=3)
    played = [rng.standard_normal(FRAME) * 3000 for _ in range(300)]
    for p in played[:250]:
        guard.process(pcm(p * 10 ** (-30 / 20)), pcm(p))
    frames = [pcm(p * 10 ** (-30 / 20)) for p in played[250:]]
    frames[20] = pcm(played[270] * 10 ** (-30 / 20) + rng.standard_normal(FRAME) * 3000)  # a voice, one frame
    out = [guard.process(f, pcm(p)) for f, p in zip(frames, played[250:], strict=True)]
    kept = [i - 3 for i, o in enumerate(out) if o != bytes(2 * FRAME)]
    assert kept == list(range(17, 24))  # the voice's frame and three either side, three frames late
    assert out[23] == frames[20]


def test_speexdsp_takes_a_delayed_echo_down() -> None:
    try:
        speexdsp()
    except OSError:
        pytest.skip("libspeexdsp is not installed")
    rng = np.random.default_rng(2)
    played = rng.standard_normal(FRAME * 500) * 3000
    heard = 0.5 * np.concatenate([np.zeros(960), played[:-960]])  # 60 ms late, 6 dB down
    canceller = SpeexCanceller()
    out = b"".join(canceller.process(pcm(heard[i:i + FRAME]), pcm(played[i:i + FRAME]))
                   for i in range(0, len(played), FRAME))
    canceller.close()
    settled = slice(2 * len(played) // 3 * 2, len(out))  # the last third, in bytes
    assert level_db(out[settled]) < level_db(pcm(heard)[settled]) - 20


def test_only_what_matters_while_it_speaks_is_taken_over_its_speech() -> None:
    assert {Command.STOP, Command.PAUSE, Command.EMERGENCY} <= WHILE_SPEAKING
    assert not {Command.NEXT, Command.BACK, Command.YES, Command.NO} & WHILE_SPEAKING
