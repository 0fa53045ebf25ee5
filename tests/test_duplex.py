"""Listening while it speaks, without a sound server: the guard that hears a frame only when it
stands out of the echo left, SpeexDSP's canceller on a known echo, and the microphone's rules."""

from __future__ import annotations

import numpy as np
import pytest

from crampvoice.core.commands import Command
from crampvoice.listen.duplex import FRAME, WHILE_SPEAKING, Aligner, Guard, SpeexCanceller, speexdsp


def pcm(x: np.ndarray) -> bytes:
    return bytes(np.clip(x, -32768, 32767).astype("<i2").tobytes())


def level_db(frame: bytes) -> float:
    return float(10 * np.log10(np.mean(np.frombuffer(frame, "<i2").astype(float) ** 2) + 1e-9))


def test_the_guard_silences_what_the_canceller_left_and_keeps_a_voice_over_it() -> None:
    rng = np.random.default_rng(1)
    guard = Guard(20.0, run=1)
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


def test_the_guard_hears_a_voice_that_stands_out_for_a_run_of_frames_not_a_blip_and_is_as_late() -> None:
    rng = np.random.default_rng(3)
    guard = Guard(20.0, run=5)
    played = [rng.standard_normal(FRAME) * 3000 for _ in range(300)]
    for p in played[:250]:
        guard.process(pcm(p * 10 ** (-30 / 20)), pcm(p))
    frames = [pcm(p * 10 ** (-30 / 20)) for p in played[250:]]
    for i in (10, 11, 12, 13, *range(30, 36)):  # what the canceller left, standing out 80 ms; a voice, 120 ms
        frames[i] = pcm(played[250 + i] * 10 ** (-30 / 20) + rng.standard_normal(FRAME) * 3000)
    out = [guard.process(f, pcm(p)) for f, p in zip(frames, played[250:], strict=True)]
    kept = [i - 4 for i, o in enumerate(out) if o != bytes(2 * FRAME)]
    assert kept == list(range(30, 36))  # the voice's frames, four frames late; not the blip
    assert out[34:40] == frames[30:36]


def test_with_a_hang_a_word_once_heard_is_kept_to_its_end_while_it_stands_out_half_as_far() -> None:
    """A word 30 dB over the echo left for 100 ms, then fading to 15 dB over it: heard to its end
    (the fading part alone, a blip of its own, is not)."""
    rng = np.random.default_rng(4)
    guard = Guard(20.0, run=4, hang_db=10.0)
    played = [rng.standard_normal(FRAME) * 3000 for _ in range(680)]
    for p in played[:600]:  # long enough for the gain to settle from where it starts (0 dB)
        guard.process(pcm(p * 10 ** (-30 / 20)), pcm(p))
    left = [p * 10 ** (-30 / 20) for p in played[600:]]
    over = [30] * 5 + [15] * 10 + [None] * 20 + [15] * 10 + [None] * 35  # dB over the echo left, a frame each
    frames = [pcm(e if db is None else e + rng.standard_normal(FRAME) * 3000 * 10 ** ((db - 30) / 20))
              for e, db in zip(left, over, strict=True)]
    out = [guard.process(f, pcm(p)) for f, p in zip(frames, played[600:], strict=True)]
    assert [i - 3 for i, o in enumerate(out) if o != bytes(2 * FRAME)] == list(range(15))


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


def test_an_echo_the_canceller_lost_is_soon_expected_again_and_a_word_over_it_still_heard() -> None:
    """The echo left jumps from 30 dB down to 0 (the canceller lost it): the guard lets some of it
    through at first, then, as it stays longer than a word does, none; a voice said over the echo
    for 0.4 s, before, is heard all along."""
    rng = np.random.default_rng(5)
    guard = Guard(20.0, run=1)
    played = [rng.standard_normal(FRAME) * 3000 for _ in range(650)]
    for p in played[:300]:
        guard.process(pcm(p * 10 ** (-30 / 20)), pcm(p))
    word = [guard.process(pcm(p * 10 ** (-30 / 20) + rng.standard_normal(FRAME) * 3000), pcm(p)) for p in played[300:320]]
    assert all(w != bytes(2 * FRAME) for w in word)
    for p in played[320:400]:
        guard.process(pcm(p * 10 ** (-30 / 20)), pcm(p))
    lost = [guard.process(pcm(p), pcm(p)) != bytes(2 * FRAME) for p in played[400:]]
    assert any(lost[:25]) and not any(lost[-150:])


def speechlike(rng: np.random.Generator, n: int) -> np.ndarray:
    """Noise in bursts a few hundred ms long, low-passed: what a canceller and an aligner get of speech."""
    x = np.convolve(rng.standard_normal(n), np.ones(4) / 4, "same")
    bursts = np.repeat(rng.random(n // 4000 + 1) < 0.7, 4000)[:n]
    return x * bursts * 6000


@pytest.mark.parametrize("early_ms", [30, -80])
def test_an_echo_that_comes_early_or_late_and_drifts_is_taken_down_once_aligned(early_ms: int) -> None:
    """The echo 30 ms before the monitor's frame (as live through the virtual loopback once) or 80 ms
    after it, drifting 200 ppm: the canceller alone cannot follow; held and aligned, it can."""
    try:
        speexdsp()
    except OSError:
        pytest.skip("libspeexdsp is not installed")
    rng = np.random.default_rng(4)
    played = speechlike(rng, FRAME * 1500)  # 30 s
    t = np.arange(len(played)) * (1 - 200e-6) + early_ms * 16
    heard = 0.7 * np.interp(t, np.arange(len(played)), played, left=0.0, right=0.0)

    def left_db(aligner: Aligner | None) -> float:
        canceller, out, mic = SpeexCanceller(), [], []
        for i in range(0, len(played), FRAME):
            m, p = pcm(heard[i:i + FRAME]), pcm(played[i:i + FRAME])
            if aligner is not None:
                m, p = aligner.align(m, p)
            mic.append(m)
            out.append(canceller.process(m, p))
        canceller.close()
        last = slice(len(out) * 2 // 3, len(out))  # the last ten seconds, settled
        return level_db(b"".join(out[last])) - level_db(b"".join(mic[last]))

    assert left_db(Aligner()) < min(-12.0, left_db(None) - 8)


def test_only_what_matters_while_it_speaks_is_taken_over_its_speech() -> None:
    assert {Command.STOP, Command.PAUSE, Command.EMERGENCY} <= WHILE_SPEAKING
    assert not {Command.NEXT, Command.BACK, Command.YES, Command.NO} & WHILE_SPEAKING
