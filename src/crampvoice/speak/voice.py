"""The speaker that talks: sentences synthesised and played by one worker thread.

The session only ever queues text or flags a stop, so it never waits on audio. A
watchdog thread notices an audio call that hangs (a frozen sound server, a device
pulled out) and turns the speaker into a silent one, says so once through `notify`,
and reports idle so the session goes on in text.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable
from typing import TypeVar

from ..audio import Audio, tone
from ..core.errors import DeviceError
from ..core.timeline import SENTENCE_GAP_S
from .player import SoundDevicePlayer
from .synth import ESPEAK_RATE_HZ, Pyttsx3Synth, VoiceSettings

STALL_S = 2.0  # an audio call this much later than it should be is a hung device
POLL_S = 0.005  # how often playback checks for a stop
_T = TypeVar("_T")


class VoiceSpeaker:
    def __init__(self, synth: Pyttsx3Synth, player: SoundDevicePlayer, settings: VoiceSettings,
                 notify: Callable[[str], None]) -> None:
        self._synth, self._player, self._settings, self._notify = synth, player, settings, notify
        self._levels = (0, 0)
        self._tone = tone(ESPEAK_RATE_HZ)
        self._lock = threading.Lock()
        self._queue: queue.SimpleQueue[tuple[int, str, bool] | None] = queue.SimpleQueue()
        self._pending = 0
        self._generation = 0
        self._idle: Callable[[], None] | None = None
        self._must_end_by: float | None = None  # the watchdog's deadline for the audio call under way
        self.dead = False
        self._last_end = 0.0  # when the last sentence finished or was cut
        self._playing = False
        self._closed = threading.Event()
        self._worker = threading.Thread(target=self._work, daemon=True, name="crampvoice-speech")
        self._watchdog = threading.Thread(target=self._watch, daemon=True, name="crampvoice-watchdog")
        self._worker.start()
        self._watchdog.start()

    # -- the Speaker port (called from the session's thread; never blocks) -------------

    def say(self, text: str, cue: bool = False) -> None:
        with self._lock:
            if self.dead:
                return
            crowded = cue and self._pending > 0  # a cue behind speech becomes a soft tone
            self._pending += 1
            self._queue.put((self._generation, text, crowded))

    def silence(self) -> None:
        with self._lock:
            self._generation += 1

    def when_idle(self, callback: Callable[[], None]) -> None:
        with self._lock:
            if self._pending > 0 and not self.dead:
                self._idle = callback
                return
        callback()

    def adjust(self, setting: str, level: int) -> None:
        rate, volume = self._levels
        self._levels = (level, volume) if setting == "rate" else (rate, level)

    def quiet_since(self) -> float | None:
        return None if self._playing else self._last_end

    def close(self) -> None:
        self.silence()
        self._queue.put(None)
        self._closed.set()
        self._worker.join(timeout=1.0)
        if not self._worker.is_alive():
            self._player.close()
            self._synth.close()

    # -- the worker --------------------------------------------------------------------

    def _work(self) -> None:
        while (item := self._queue.get()) is not None:
            generation, text, crowded = item
            if generation == self._generation and not self.dead:
                try:
                    self._speak(generation, text, crowded)
                except DeviceError as e:
                    self._fail(e.message)
            self._one_done()

    def _speak(self, generation: int, text: str, crowded: bool) -> None:
        audio: Audio
        if crowded:
            audio = self._tone
        else:
            self._synth.apply(self._settings.at_levels(*self._levels))
            audio = self._guarded(STALL_S, lambda: self._synth.synth(text))
        while time.monotonic() < self._last_end + SENTENCE_GAP_S:  # a breath between sentences
            if generation != self._generation:
                return
            time.sleep(POLL_S)
        if generation != self._generation or audio.frames == 0:
            return
        self._playing = True  # from here the microphone is not listened to (quiet_since)
        try:
            done = self._guarded(STALL_S, lambda: self._player.play(audio))
            self._must_end_by = time.monotonic() + audio.duration_s + STALL_S
            while not done.wait(POLL_S):
                if generation != self._generation or self._closed.is_set():
                    self._player.stop()
                    break
        finally:
            self._must_end_by = None
            self._last_end = time.monotonic()
            self._playing = False

    def _guarded(self, limit_s: float, call: Callable[[], _T]) -> _T:
        self._must_end_by = time.monotonic() + limit_s
        try:
            return call()
        finally:
            self._must_end_by = None

    def _one_done(self) -> None:
        callback = None
        with self._lock:
            self._pending -= 1
            if self._pending == 0:
                callback, self._idle = self._idle, None
        if callback is not None:
            callback()

    def _fail(self, reason: str) -> None:
        with self._lock:
            if self.dead:
                return
            self.dead = True
            callback, self._idle = self._idle, None
        self._notify(f"Speech output stopped working: {reason}. Carrying on in text; "
                     "'crampvoice doctor' shows what is wrong.")
        if callback is not None:
            callback()

    def _watch(self) -> None:
        while not self._closed.wait(0.1):
            must_end_by = self._must_end_by
            if must_end_by is not None and time.monotonic() > must_end_by:
                self._fail("the audio device stopped answering")
                return
