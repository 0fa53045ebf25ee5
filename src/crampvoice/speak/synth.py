"""Text to audio with pyttsx3 on espeak-ng, one sentence at a time, nothing played.

pyttsx3's own `say()` shells out to `aplay` after synthesising the whole text, cannot
be stopped, and fails silently without alsa-utils; we only ever ask it to save a file,
one `save_to_file` per `runAndWait` (several in one run keep only the last file).
"""

from __future__ import annotations

import ctypes
import sys
import tempfile
import time
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
ESPEAK_RATE, ESPEAK_VOLUME = 1, 2  # espeak_PARAMETER, in speak_lib.h
SHORTEST_SHARE = 1 / 3  # of a sentence's expected length: shorter is a cut-short synthesis


def _quiet_driver() -> None:
    """pyttsx3's espeak driver prints "Audio saved to ..." on standard output for every file it
    writes, and standard output may carry the session's events (`--events -`). The driver's own
    `print` is silenced, not the process's: sys.stdout swapped from one thread (as it was) leaks
    to another, and a line came out between two events in CI."""
    driver = sys.modules.get("pyttsx3.drivers.espeak")
    if driver is not None:
        driver.print = lambda *_args, **_kwargs: None  # type: ignore[attr-defined]


class Pyttsx3Synth:
    """Use from one thread at a time: espeak-ng keeps one state per process."""

    def __init__(self, settings: VoiceSettings | None = None) -> None:
        try:
            import pyttsx3

            self._engine: Any = pyttsx3.init("espeak")
            _quiet_driver()
            self._espeak = _Espeak()
        except ImportError:
            raise DeviceError("pyttsx3 is not installed", "reinstall crampvoice, or run with --text") from None
        except (OSError, RuntimeError) as e:
            raise DeviceError(f"espeak-ng could not be started ({e})", INSTALL_HINT) from None
        self._dir = tempfile.TemporaryDirectory(prefix="crampvoice-")
        self._path = Path(self._dir.name) / "sentence.wav"
        self._applied: VoiceSettings | None = None
        self.voices = [Voice(v.id, v.name, tuple(v.languages or ())) for v in self._engine.getProperty("voices")]
        self._wanted = VoiceSettings()
        self.apply(settings or self._wanted)

    def apply(self, settings: VoiceSettings) -> None:
        if settings.voice not in {v.id for v in self.voices}:
            raise DeviceError(f"espeak-ng has no voice '{settings.voice}'",
                              "'crampvoice voices' lists the voices; put one in your settings as 'voice:'")
        self._wanted = settings
        if settings == self._applied:
            return
        self._engine.setProperty("voice", settings.voice)
        self._engine.setProperty("rate", settings.rate_wpm)
        self._engine.setProperty("volume", settings.volume)
        self._applied = settings

    def synth(self, text: str) -> Audio:
        """The sentence as audio, its silent lead-in and tail trimmed, at the settings applied.

        Each result is checked, and made again when it fails a check:
        - pyttsx3's espeak driver can end a run on the previous sentence's last callback and save
          an empty file, or, on a busy machine, one cut short (seen: the second sentence of every
          other Pyttsx3Synth made in one process, and `show` and `render` 17 s apart): a result far
          shorter than its words take at this rate is made again;
        - espeak-ng takes a rate or volume through its own queue, and the driver ends each run
          with espeak_Cancel when that queue is still busy, which puts back the parameters saved
          before: a setting made just before a run can be lost (seen: two sessions in five spoken
          whole at the driver's own 200 words a minute, not the 160 asked for). espeak-ng is asked
          what it used, and if the settings were lost they are put to it again, and left to
          settle, before the sentence is made again.
        """
        for attempt in range(RETRIES + 1):
            try:
                audio = self._synth_once(text)
            except (OSError, EOFError, wave.Error, ValueError) as e:  # ValueError: read_wav on a file cut short
                if attempt == RETRIES:
                    raise DeviceError(f"espeak-ng made no audio for a sentence ({e})", INSTALL_HINT) from None
                continue
            if not self._settings_held():
                self._applied = None
                self.apply(self._wanted)
                self._espeak.settle()  # or the next run's end cancels them again
            elif self._whole(audio, text):
                return audio
        return audio

    def _settings_held(self) -> bool:
        """Whether espeak-ng has the rate and volume last applied."""
        self._espeak.settle()
        return (self._espeak.current(ESPEAK_RATE) == self._wanted.rate_wpm
                and self._espeak.current(ESPEAK_VOLUME) == round(self._wanted.volume * 100))

    def _whole(self, audio: Audio, text: str) -> bool:
        """Not cut short: at least a third of the time its words take at the rate set."""
        words = sum(any(c.isalnum() for c in w) for w in text.split())
        expected_s = words * 60 / self._wanted.rate_wpm
        return audio.duration_s >= SHORTEST_SHARE * expected_s and (audio.frames > 0 or not words)

    def _synth_once(self, text: str) -> Audio:
        self._path.unlink(missing_ok=True)
        self._engine.save_to_file(text, str(self._path))
        self._engine.runAndWait()
        return trim(read_wav(self._path))

    def close(self) -> None:
        self._dir.cleanup()

    def __enter__(self) -> Pyttsx3Synth:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()


class _Espeak:
    """What pyttsx3 does not tell: espeak-ng's current parameters, and whether its queue is empty.

    Read from the library pyttsx3 loaded. pyttsx3 binds espeak_GetParameter without its second
    argument (`current`), so its own reading is the default or the current value at random.
    """

    def __init__(self) -> None:
        from pyttsx3.drivers import _espeak

        self._get = _espeak.dll.espeak_GetParameter
        self._get.argtypes, self._get.restype = [ctypes.c_int, ctypes.c_int], ctypes.c_int
        self._busy = _espeak.dll.espeak_IsPlaying

    def current(self, parameter: int) -> int:
        return int(self._get(parameter, 1))

    def settle(self, timeout_s: float = 1.0) -> None:
        """Wait, a little, until espeak-ng has done all it was asked."""
        deadline = time.monotonic() + timeout_s
        while self._busy() and time.monotonic() < deadline:
            time.sleep(0.002)
