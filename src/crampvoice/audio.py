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
MIN_RATE_HZ, MAX_RATE_HZ = 1000, 768000  # telephone-grade and below is not speech; above, not a microphone
MAX_CHANNELS = 64


@dataclass(frozen=True, slots=True)
class Audio:
    pcm: bytes
    sample_rate_hz: int
    channels: int = 1

    def __post_init__(self) -> None:
        """A header may say anything: a rate or channel count no recording has is refused here, once,
        as a ValueError every reader of files already turns into a plain sentence."""
        if not MIN_RATE_HZ <= self.sample_rate_hz <= MAX_RATE_HZ:
            raise ValueError(f"its header says {self.sample_rate_hz} Hz; "
                             f"recordings are {MIN_RATE_HZ} to {MAX_RATE_HZ} Hz")
        if not 1 <= self.channels <= MAX_CHANNELS:
            raise ValueError(f"its header says {self.channels} channels; recordings have 1 to {MAX_CHANNELS}")

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
    """A 16-bit PCM WAV; anything else, or a header no recording has, is a ValueError."""
    try:
        with wave.open(path if not isinstance(path, Path) else str(path), "rb") as w:
            if w.getsampwidth() != SAMPLE_WIDTH_BYTES:
                raise ValueError(f"{8 * w.getsampwidth()}-bit audio; 16-bit is expected")
            return Audio(w.readframes(w.getnframes()), w.getframerate(), w.getnchannels())
    except (wave.Error, EOFError) as e:
        raise ValueError(f"not a WAV recording ({str(e) or 'it ends too soon'})") from None


_PCM, _FLOAT, _EXTENSIBLE = 1, 3, 0xFFFE


def parse_wav(data: bytes) -> Audio:
    """A RIFF WAV of any common sample type, as 16-bit: integer 8, 16, 24 or 32 bits, float 32 or 64
    (what Audacity exports), plain or WAVE_FORMAT_EXTENSIBLE, which the `wave` module refuses."""
    if data[:4] != b"RIFF" or data[8:12] != b"WAVE":
        raise ValueError("not a RIFF WAV file")
    fmt: tuple[int, int, int, int] | None = None
    at = 12
    while at + 8 <= len(data):
        chunk, size = data[at:at + 4], struct.unpack_from("<I", data, at + 4)[0]
        body = data[at + 8:at + 8 + size]
        if chunk == b"fmt " and len(body) >= 16:
            tag, channels, rate, _, _, bits = struct.unpack_from("<HHIIHH", body)
            if tag == _EXTENSIBLE and len(body) >= 26:
                tag = struct.unpack_from("<H", body, 24)[0]  # the sub-format GUID begins with the tag
            fmt = (tag, channels, rate, bits)
        elif chunk == b"data" and fmt is not None:
            tag, channels, rate, bits = fmt
            return Audio(_to_16_bit(body, tag, bits), rate, channels)
        at += 8 + size + (size & 1)
    raise ValueError("no audio data in the WAV file")


def _to_16_bit(body: bytes, tag: int, bits: int) -> bytes:
    width = bits // 8
    body = body[:len(body) - len(body) % max(1, width)]
    if tag == _PCM and bits == 16:
        return body
    if tag == _PCM and bits in (24, 32):  # keep the two most significant bytes of each sample
        out = bytearray(len(body) // width * 2)
        out[0::2], out[1::2] = body[width - 2::width], body[width - 1::width]
        return bytes(out)
    if tag == _PCM and bits == 8:  # unsigned, centred on 128: becomes the high byte
        out = bytearray(2 * len(body))
        out[1::2] = body.translate(bytes(i ^ 0x80 for i in range(256)))
        return bytes(out)
    if tag == _FLOAT and bits in (32, 64):
        floats = array.array("f" if bits == 32 else "d")
        floats.frombytes(body)
        if sys.byteorder == "big":
            floats.byteswap()
        return from_samples(array.array("h", (round(max(-1.0, min(1.0, x)) * 32767) for x in floats)), MIN_RATE_HZ).pcm
    raise ValueError(f"{bits}-bit samples of WAV format {tag} are not supported")


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
