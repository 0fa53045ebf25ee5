"""A whole unattended session as one WAV: every sentence and cue, every hold and rest as silence.

The timing comes from `timeline.simulate`, the same sequencer a live session runs, with
each sentence taking as long as espeak-ng actually takes to say it. The WAV is streamed:
each distinct sentence is held once, the silences are written a second at a time, so a
session of hours needs no more memory than one of minutes.
"""

from __future__ import annotations

import io
import os
import stat
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from ..audio import SAMPLE_WIDTH_BYTES, Audio, read_wav, wav_header
from ..core.errors import CrampvoiceError
from ..core.events import Say
from ..core.script import Script
from ..core.timeline import Moment, simulate, total_s
from ..smallfile import whole_file, why
from .synth import ESPEAK_RATE_HZ, Pyttsx3Synth

Progress = Callable[[int, int], None]
MAX_DATA_BYTES = 0xFFFFFFFF - 36  # a WAV's sizes are 32-bit: about 27 hours at espeak-ng's rate
WRITE_HINT = "give a path in a folder you can write to, on a disk with room"


def sentences(script: Script, synth: Pyttsx3Synth, progress: Progress = lambda done, total: None) -> dict[str, Audio]:
    """Every sentence an unattended session says, synthesised once each."""
    texts = list(dict.fromkeys(m.effect.text for m in simulate(script) if isinstance(m.effect, Say)))
    spoken: dict[str, Audio] = {}
    for n, text in enumerate(texts, start=1):
        spoken[text] = synth.synth(text)
        progress(n, len(texts))
    return spoken


@dataclass(frozen=True, slots=True)
class Rendering:
    """A session ready to write: its timeline, its sentences, and its length in frames."""

    moments: list[Moment]
    spoken: dict[str, Audio]
    frames: int

    @property
    def duration_s(self) -> float:
        return self.frames / ESPEAK_RATE_HZ

    def write(self, out: BinaryIO) -> None:
        """The WAV, header first, in one pass (a pipe or a device will do); a later sentence cuts an earlier one."""
        if self.frames * SAMPLE_WIDTH_BYTES > MAX_DATA_BYTES:
            raise CrampvoiceError(f"the session lasts {self.duration_s / 3600:.0f} hours, too long for one WAV file",
                                  "render a shorter script: WAV files end at about 27 hours")
        out.write(wav_header(self.frames, ESPEAK_RATE_HZ))
        written = 0

        def write_until(frame: int, pcm: bytes = b"") -> None:
            nonlocal written
            silence = bytes(ESPEAK_RATE_HZ * SAMPLE_WIDTH_BYTES)
            while written < frame:
                n = min(frame - written, ESPEAK_RATE_HZ)
                out.write(silence[:n * SAMPLE_WIDTH_BYTES])
                written += n
            pcm = pcm[:(self.frames - written) * SAMPLE_WIDTH_BYTES]
            out.write(pcm)
            written += len(pcm) // SAMPLE_WIDTH_BYTES

        held: tuple[int, bytes] | None = None  # the sentence last begun, until the next one's start is known
        for moment in self.moments:
            if isinstance(moment.effect, Say):
                at = max(written, round(moment.at_s * ESPEAK_RATE_HZ))
                if held is not None:
                    write_until(held[0], held[1][:(at - held[0]) * SAMPLE_WIDTH_BYTES])
                held = (at, self.spoken[moment.effect.text].pcm)
        if held is not None:
            write_until(*held)
        write_until(self.frames)


def prepare(script: Script, synth: Pyttsx3Synth, progress: Progress = lambda done, total: None) -> Rendering:
    spoken = sentences(script, synth, progress)
    moments = simulate(script, lambda text: spoken[text].duration_s)
    return Rendering(moments, spoken, round(total_s(moments) * ESPEAK_RATE_HZ))


def render(script: Script, synth: Pyttsx3Synth,
           progress: Progress = lambda done, total: None) -> tuple[Audio, list[Moment]]:
    """The session's audio in memory, and its timeline: for benchmarks and short scripts."""
    rendering = prepare(script, synth, progress)
    buffer = io.BytesIO()
    rendering.write(buffer)
    buffer.seek(0)
    return read_wav(buffer), rendering.moments


@contextmanager
def output_file(path: Path) -> Iterator[BinaryIO]:
    """Where a render goes, opened before the work starts so that a bad path fails at once.

    A regular file (after following links, so a link stays a link) is written beside itself
    and renamed over the target only when complete: a failed render leaves the old file as
    it was. Anything else (/dev/null, a FIFO, a terminal) is written straight into.
    """
    target = Path(os.path.realpath(path))
    try:
        mode = target.stat().st_mode
    except FileNotFoundError:
        mode = None
    except OSError as e:
        raise _cannot_write(path, e) from None
    if mode is not None and stat.S_ISDIR(mode):
        raise CrampvoiceError(f"cannot write {path}: it is a folder", "give a file name, such as calf.wav")
    if mode is not None and not stat.S_ISREG(mode):
        try:
            with open(target, "wb") as out:
                yield out
        except OSError as e:
            raise _cannot_write(path, e) from None
        return
    try:
        with whole_file(target) as out:
            yield out
    except OSError as e:
        raise _cannot_write(path, e) from None


def _cannot_write(path: Path, e: OSError) -> CrampvoiceError:
    return CrampvoiceError(f"cannot write {path} ({why(e)})", WRITE_HINT)
