"""Audio that carries its format, and the few conversions on it. Standard library only.

Samples are signed 16-bit little-endian PCM. Conversions live here and nowhere else.
"""

from __future__ import annotations

import array
import math
import struct
import sys
import wave
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

SAMPLE_WIDTH_BYTES = 2


@dataclass(frozen=True, slots=True)
class Audio:
    pcm: bytes
    sample_rate_hz: int
    channels: int = 1

    @property
    def frames(self) -> int:
        return len(self.pcm) // (SAMPLE_WIDTH_BYTES * self.channels)

    @property
    def duration_s(self) -> float:
        return self.frames / self.sample_rate_hz

    def samples(self) -> array.array[int]:
        a = array.array("h")
        a.frombytes(self.pcm)
        if sys.byteorder == "big":
            a.byteswap()
        return a


def from_samples(samples: array.array[int], sample_rate_hz: int, channels: int = 1) -> Audio:
    if sys.byteorder == "big":
        samples = array.array("h", samples)
        samples.byteswap()
    return Audio(samples.tobytes(), sample_rate_hz, channels)


def tone(sample_rate_hz: int, frequency_hz: float = 660.0, duration_s: float = 0.12,
         level: float = 0.15) -> Audio:
    """A short, soft sine with smooth edges: a cue that does not crowd a countdown."""
    n = round(duration_s * sample_rate_hz)
    fade = max(1, n // 4)
    peak = level * 32767
    samples = array.array("h", (
        round(peak * min(1.0, i / fade, (n - i) / fade) * math.sin(2 * math.pi * frequency_hz * i / sample_rate_hz))
        for i in range(n)))
    return from_samples(samples, sample_rate_hz)


def trim(audio: Audio, threshold: int = 200, keep_s: float = 0.02) -> Audio:
    """Drop quiet lead-in and tail (espeak-ng pads each sentence), keeping a few ms."""
    s = audio.samples()
    start = next((i for i, x in enumerate(s) if abs(x) > threshold), None)
    if start is None:
        return Audio(b"", audio.sample_rate_hz)
    end = len(s) - next(i for i, x in enumerate(reversed(s)) if abs(x) > threshold)
    keep = round(keep_s * audio.sample_rate_hz)
    return from_samples(s[max(0, start - keep):min(len(s), end + keep)], audio.sample_rate_hz)


def read_wav(path: Path | BinaryIO) -> Audio:
    with wave.open(path if not isinstance(path, Path) else str(path), "rb") as w:
        if w.getsampwidth() != SAMPLE_WIDTH_BYTES:
            raise ValueError(f"{path}: {8 * w.getsampwidth()}-bit audio; 16-bit is expected")
        return Audio(w.readframes(w.getnframes()), w.getframerate(), w.getnchannels())


def wav_header(frames: int, sample_rate_hz: int, channels: int = 1) -> bytes:
    """The 44 bytes before 16-bit PCM data of known length: written once, never patched (a pipe will do)."""
    data = frames * channels * SAMPLE_WIDTH_BYTES
    block = channels * SAMPLE_WIDTH_BYTES
    return struct.pack("<4sI4s4sIHHIIHH4sI", b"RIFF", 36 + data, b"WAVE", b"fmt ", 16, 1, channels,
                       sample_rate_hz, sample_rate_hz * block, block, 8 * SAMPLE_WIDTH_BYTES, b"data", data)


def write_wav(path: Path, audio: Audio) -> None:
    with wave.open(str(path), "wb") as w:
        w.setnchannels(audio.channels)
        w.setsampwidth(SAMPLE_WIDTH_BYTES)
        w.setframerate(audio.sample_rate_hz)
        w.writeframes(audio.pcm)


def to_mono_16k(audio: Audio, rate_hz: int = 16000) -> Audio:
    """Mixed down to one channel and resampled (linear) to `rate_hz`: what pocketsphinx wants."""
    s = audio.samples()
    if audio.channels > 1:
        c = audio.channels
        s = array.array("h", (sum(s[i:i + c]) // c for i in range(0, len(s) - c + 1, c)))
    if audio.sample_rate_hz == rate_hz:
        return from_samples(s, rate_hz)
    step = audio.sample_rate_hz / rate_hz
    n = int(len(s) / step)
    last = len(s) - 1
    out = array.array("h", bytes(2 * n))
    for i in range(n):
        x = i * step
        j = int(x)
        k = min(j + 1, last)
        out[i] = round(s[j] + (s[k] - s[j]) * (x - j))
    return from_samples(out, rate_hz)
