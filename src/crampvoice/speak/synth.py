"""Text to audio with pyttsx3 on espeak-ng, one sentence at a time, nothing played.

pyttsx3's own `say()` shells out to `aplay` after synthesising the whole text, cannot
be stopped, and fails silently without alsa-utils; we only ever ask it to save a file,
one `save_to_file` per `runAndWait` (several in one run keep only the last file).
"""

from __future__ import annotations

import contextlib
import io
import tempfile
import wave
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from ..audio import Audio, read_wav, trim
from ..core.errors import DeviceError
from ..core.script import RATE_BOUNDS_WPM, Script
from ..settings import Settings

ESPEAK_RATE_HZ = 22050  # what espeak-ng synthesises at
DEFAULT_VOICE = "gmw/en-us"
DEFAULT_RATE_WPM = 160
DEFAULT_VOLUME = 0.8
RATE_STEP = 1.15  # each "slower" or "faster"
VOLUME_STEP = 1.25  # each "quieter" or "louder"
_T = TypeVar("_T")
INSTALL_HINT = "install espeak-ng (sudo apt-get install espeak-ng libespeak-ng1), or run with --text"


@dataclass(frozen=True, slots=True)
class Voice:
    id: str
    name: str
    languages: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class VoiceSettings:
    voice: str = DEFAULT_VOICE
    rate_wpm: int = DEFAULT_RATE_WPM
    volume: float = DEFAULT_VOLUME

    @staticmethod
    def chosen(voice: str | None, rate_wpm: int | None, volume: float | None,
               settings: Settings, script: Script) -> VoiceSettings:
        """Given values (the command line) win, then the person's settings, then the script."""
        default = VoiceSettings()
        return VoiceSettings(
            voice=_first(voice, settings.voice, script.voice, default.voice),
            rate_wpm=_first(rate_wpm, settings.rate, script.rate_wpm, default.rate_wpm),
            volume=_first(volume, settings.volume, default.volume))

    def at_levels(self, rate_level: int, volume_level: int) -> VoiceSettings:
        """The person's own settings moved by the live slower/faster, quieter/louder levels."""
        low, high = RATE_BOUNDS_WPM
        rate = round(min(high, max(low, self.rate_wpm * RATE_STEP**rate_level)))
        volume = min(1.0, max(0.05, self.volume * VOLUME_STEP**volume_level))
        return VoiceSettings(self.voice, rate, round(volume, 3))


def _first(*values: _T | None) -> _T:
    return next(v for v in values if v is not None)


RETRIES = 2
SHORTEST_SHARE = 1 / 3  # of a sentence's expected length: shorter is a cut-short synthesis


class Pyttsx3Synth:
    """Use from one thread at a time: espeak-ng keeps one state per process."""

    def __init__(self, settings: VoiceSettings | None = None) -> None:
        try:
            import pyttsx3

            self._engine: Any = pyttsx3.init("espeak")
        except ImportError:
            raise DeviceError("pyttsx3 is not installed", "reinstall crampvoice, or run with --text") from None
        except (OSError, RuntimeError) as e:
            raise DeviceError(f"espeak-ng could not be started ({e})", INSTALL_HINT) from None
        self._dir = tempfile.TemporaryDirectory(prefix="crampvoice-")
        self._path = Path(self._dir.name) / "sentence.wav"
        self._applied: VoiceSettings | None = None
        self.voices = [Voice(v.id, v.name, tuple(v.languages or ())) for v in self._engine.getProperty("voices")]
        self.apply(settings or VoiceSettings())

    def apply(self, settings: VoiceSettings) -> None:
        if settings == self._applied:
            return
        if settings.voice not in {v.id for v in self.voices}:
            raise DeviceError(f"espeak-ng has no voice '{settings.voice}'",
                              "'crampvoice voices' lists the voices; put one in your settings as 'voice:'")
        self._engine.setProperty("voice", settings.voice)
        self._engine.setProperty("rate", settings.rate_wpm)
        self._engine.setProperty("volume", settings.volume)
        self._applied = settings

    def synth(self, text: str) -> Audio:
        """The sentence as audio, its silent lead-in and tail trimmed.

        A run of pyttsx3's espeak driver can end on the previous sentence's last callback and
        save an empty file, or, on a busy machine, one cut short (seen: the second sentence of
        every other Pyttsx3Synth made in one process, and `show` and `render` 17 s apart): a
        result far shorter than its words take at this rate, like a failed one, is tried again.
        """
        for attempt in range(RETRIES + 1):
            try:
                audio = self._synth_once(text)
            except (OSError, EOFError, wave.Error) as e:
                if attempt == RETRIES:
                    raise DeviceError(f"espeak-ng made no audio for a sentence ({e})", INSTALL_HINT) from None
                continue
            if self._whole(audio, text):
                return audio
        return audio

    def _whole(self, audio: Audio, text: str) -> bool:
        """Not cut short: at least a third of the time its words take at the rate set."""
        words = sum(any(c.isalnum() for c in w) for w in text.split())
        rate_wpm = (self._applied or VoiceSettings()).rate_wpm
        return audio.duration_s >= SHORTEST_SHARE * words * 60 / rate_wpm and (audio.frames > 0 or not words)

    def _synth_once(self, text: str) -> Audio:
        self._path.unlink(missing_ok=True)
        self._engine.save_to_file(text, str(self._path))
        with contextlib.redirect_stdout(io.StringIO()):  # pyttsx3 prints "Audio saved to ..."
            self._engine.runAndWait()
        return trim(read_wav(self._path))

    def close(self) -> None:
        self._dir.cleanup()

    def __enter__(self) -> Pyttsx3Synth:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()
