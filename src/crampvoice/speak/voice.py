"""The speaker that talks: one thread synthesises, another plays, and a third recovers.

The session only ever queues text or flags a stop, so it never waits on audio. Synthesis
runs a sentence ahead of playback, so a busy machine delays speech a little rather than
leaving it starved. The watchdogs judge the device, not the machine's speed:

- playback is given up on only when the device stops taking samples (`watchdog.Stall`),
  however slowly this machine runs us;
- synthesis involves no device: its limit grows with the text and with the slowest
  synthesis seen in this session.

When the device stops answering, the speaker says so once through `notify`, carries on in
text at the pace of speech (`TextSpeaker`), and keeps trying: the same device reopened, the
default one, then each other output. When one answers it says so, aloud too, and speaks
again. When synthesis fails but the device still plays, a sentence made at the start says
aloud that the voice has stopped: nobody listening is left in silence without a word.
"""

from __future__ import annotations

import collections
import contextlib
import queue
import threading
import time
from collections.abc import Callable

from ..audio import Audio, tone
from ..core.errors import DeviceError
from ..core.events import DeviceBack, DeviceFailed, Notice
from ..core.phrases import SPEECH_BACK, SPEECH_LOST
from ..core.timeline import SENTENCE_GAP_S
from ..watchdog import Stall
from .player import SoundDevicePlayer
from .synth import ESPEAK_RATE_HZ, Pyttsx3Synth, VoiceSettings
from .text import TextSpeaker

STALL_S = 2.0  # the device took no samples this long, while we were awake to see it: it is gone
POLL_S = 0.005  # how often playback checks for a stop
SYNTH_FLOOR_S = 10.0  # the least time a sentence's synthesis is allowed...
SYNTH_SLACK = 20.0  # ...or this many times the slowest synthesis so far, character for character
DRAIN_S = 1.0  # a sentence is surely heard once the device has taken this much more than it
RETRY_S = 2.0  # recovering: how long the device is watched for samples taken before the next try
SAID_S = 3.0  # a command heard over its speech may be its own echo of a sentence said this long ago:
               # heard 120 ms late through the canceller, decided up to a second later on a busy machine
_Sentence = tuple[int, str, bool]  # generation, text, crowded (a cue behind speech: a soft tone)
_Sound = tuple[int, Audio | str | None]  # generation, the audio (str: why synthesis failed; None: nothing)


class VoiceSpeaker:
    def __init__(self, synth: Pyttsx3Synth, player: SoundDevicePlayer, settings: VoiceSettings,
                 notify: Callable[[Notice], None]) -> None:
        self._synth, self._player, self._settings, self._notify = synth, player, settings, notify
        self._levels = (0, 0)
        self._tone = tone(ESPEAK_RATE_HZ)
        self._text = TextSpeaker()  # stands in, at the pace of speech, while speech is out
        self._lock = threading.Lock()
        self._sentences: queue.SimpleQueue[_Sentence | None] = queue.SimpleQueue()
        self._sounds: queue.SimpleQueue[_Sound | None] = queue.SimpleQueue()
        self._in_flight: collections.deque[tuple[int, str]] = collections.deque()  # said, not yet done
        self._pending = 0
        self._generation = 0
        self._idle: Callable[[], None] | None = None
        self.dead = False  # speech is out: text at speech's pace until the device answers again
        self._last_end = 0.0  # when the last sentence finished or was cut
        self._said: collections.deque[tuple[float, str]] = collections.deque(maxlen=16)  # (when done, text)
        self._playing = False
        self._farewell: Audio | None = None  # SPEECH_LOST, made while synthesis still works
        self._synth_since: float | None = None  # when the synthesis under way began
        self._synth_limit_s = SYNTH_FLOOR_S
        self._synth_s_per_char = 0.0  # the slowest synthesis seen
        self._closed = threading.Event()
        self._recovery: threading.Thread | None = None
        self.abandoned = False  # closed with a thread still inside the audio library: see close()
        self._threads = [threading.Thread(target=self._synthesise, daemon=True, name="crampvoice-synth"),
                         threading.Thread(target=self._play_all, daemon=True, name="crampvoice-speech")]
        for thread in self._threads:
            thread.start()

    # -- the Speaker port (called from the session's thread; never blocks) -------------

    def say(self, text: str, cue: bool = False) -> None:
        with self._lock:
            if not self.dead:
                crowded = cue and self._pending > 0
                self._pending += 1
                self._in_flight.append((self._generation, text))
                self._sentences.put((self._generation, text, crowded))
                return
        self._text.say(text, cue)

    def silence(self) -> None:
        with self._lock:
            self._generation += 1
        self._text.silence()

    def when_idle(self, callback: Callable[[], None]) -> None:
        with self._lock:
            if self._pending > 0 and not self.dead:
                self._idle = callback
                return
            dead = self.dead
        if dead:
            self._text.when_idle(callback)
        else:
            callback()

    def adjust(self, setting: str, level: int) -> None:
        rate, volume = self._levels
        self._levels = (level, volume) if setting == "rate" else (rate, level)

    def saying(self) -> tuple[str, ...]:
        """What it is saying or about to, and what it said in the last SAID_S: a command heard
        over its speech that is among these words may be its own (mic.py), decided as late as a
        busy machine decides it."""
        with self._lock:
            since = time.monotonic() - SAID_S
            return (*(text for done, text in self._said if done >= since), *(text for _, text in self._in_flight))

    def quiet_since(self) -> float | None:
        return None if self._playing else self._last_end

    def close(self) -> None:
        self.silence()
        self._closed.set()
        self._sentences.put(None)
        self._text.close()
        for thread in self._threads:
            thread.join(timeout=1.0)
        stuck = self.dead and self._player.running()  # its thread waits on a frozen server: closing it there crashes
        if stuck or any(t is not None and t.is_alive() for t in (*self._threads, self._recovery)):
            self._player.abandon()  # a thread may be inside PortAudio on a frozen server
            self.abandoned = True
        else:
            self._player.close()
            self._synth.close()

    # -- synthesis, a sentence ahead -----------------------------------------------------

    def _synthesise(self) -> None:
        while (item := self._sentences.get()) is not None:
            generation, text, crowded = item
            sound: Audio | str | None = None
            if generation == self._generation and not self.dead:
                try:
                    sound = self._tone if crowded else self._timed_synth(text)
                except Exception as e:  # any: this thread ending would leave the session silent for good
                    sound = e.message if isinstance(e, DeviceError) else f"{type(e).__name__}: {e}"
            self._sounds.put((generation, sound))
            if self._farewell is None:
                try:
                    self._farewell = self._timed_synth(SPEECH_LOST)
                except Exception:  # as above: a tone says it instead
                    self._farewell = self._tone
        self._sounds.put(None)

    def _timed_synth(self, text: str) -> Audio:
        """Synthesise, telling the player's thread how long it may take: it watches (`_next_sound`)."""
        self._synth_limit_s = max(SYNTH_FLOOR_S, SYNTH_SLACK * self._synth_s_per_char * len(text))
        self._synth_since = started = time.monotonic()
        try:
            self._synth.apply(self._settings.at_levels(*self._levels))
            audio = self._synth.synth(text)
        finally:
            self._synth_since = None
        self._synth_s_per_char = max(self._synth_s_per_char, (time.monotonic() - started) / max(1, len(text)))
        return audio

    # -- playback --------------------------------------------------------------------------

    def _play_all(self) -> None:
        while (item := self._next_sound()) is not None:
            generation, sound = item
            if isinstance(sound, str):
                self._give_up(f"espeak-ng stopped making speech ({sound})", recoverable=False)
            elif sound is not None and sound.frames > 0 and generation == self._generation and not self.dead:
                self._play(generation, sound)
            self._one_done()

    def _next_sound(self) -> _Sound | None:
        """The next synthesised sentence; a synthesis far slower than any so far is a hung one."""
        while not self._closed.is_set():
            try:
                return self._sounds.get(timeout=0.1)
            except queue.Empty:
                since = self._synth_since
                if since is not None and time.monotonic() - since > self._synth_limit_s:
                    self._give_up("espeak-ng stopped answering", recoverable=False)
        return None

    def _play(self, generation: int, audio: Audio) -> None:
        while time.monotonic() < self._last_end + SENTENCE_GAP_S:  # a breath between sentences
            if generation != self._generation:
                return
            time.sleep(POLL_S)
        if generation != self._generation:
            return
        self._playing = True  # from here the microphone is not listened to (quiet_since)
        try:
            heard = self._played(audio, lambda: generation != self._generation or self._closed.is_set())
        finally:
            self._last_end = time.monotonic()
            self._playing = False
        if not heard:
            self._give_up("the audio device stopped answering", recoverable=True)

    def _played(self, audio: Audio, cut: Callable[[], bool]) -> bool:
        """Play to the end, or until `cut()`; False if the device stopped taking samples."""
        done = self._player.play(audio)
        stall = Stall(STALL_S, POLL_S)
        heard_by = self._player.frames_pulled + audio.frames + round(DRAIN_S * self._player.sample_rate_hz)
        while not done.wait(POLL_S):
            if self._player.frames_pulled >= heard_by:  # the device's own clock, if its latency figures are off
                return True
            if cut():
                self._player.stop()
                return True
            if stall.stuck(self._player.frames_pulled):
                self._player.stop()
                return False
        return True

    def _one_done(self) -> None:
        callback = None
        with self._lock:
            self._said.append((time.monotonic(), self._in_flight.popleft()[1]))
            self._pending -= 1
            if self._pending == 0:
                callback, self._idle = self._idle, None
        if callback is not None:
            callback()

    # -- giving out, and coming back ---------------------------------------------------------

    def _give_up(self, reason: str, recoverable: bool) -> None:
        """Carry on in text: what was still to be said takes its time there; tell the person once."""
        with self._lock:
            if self.dead:
                return
            self.dead = True
            unsaid = [text for generation, text in self._in_flight if generation == self._generation]
            self._generation += 1
            callback, self._idle = self._idle, None
        if not recoverable and self._farewell is not None:
            self._played(self._farewell, self._closed.is_set)  # the device still plays: say so aloud
        for text in unsaid:
            self._text.say(text)
        if callback is not None:
            self._text.when_idle(callback)
        then = ("it speaks again by itself when the device answers" if recoverable
                else "'crampvoice doctor' shows what is wrong")
        self._notify(DeviceFailed(f"Speech output stopped working: {reason}. Carrying on in text; {then}."))
        if recoverable:
            self._recovery = threading.Thread(target=self._recover, daemon=True, name="crampvoice-speech-back")
            self._recovery.start()

    def _recover(self) -> None:
        """Until a device answers: watch this one, and once its stream has stopped, reopen it, the
        default, each other output in turn. A stream still running waits on a frozen sound server:
        it goes on by itself when the server does, while opening another there waits 30 s for
        nothing, and now and then crashed PortAudio (SIGSEGV), so it is left be."""
        tries: list[int | str | None] = []
        attempt = 0
        while not self._answers():
            if self._closed.is_set():
                return
            if self._player.running():
                continue
            tries = tries or self._player.candidates()
            with contextlib.suppress(DeviceError):
                self._player.reopen(tries[attempt % len(tries)])
            attempt += 1
        with self._lock:
            self.dead = False
        self._notify(DeviceBack("Speech output is working again; speaking from here on."))
        self.say(SPEECH_BACK)

    def _answers(self) -> bool:
        """Whether the device takes samples at least at half their pace, over RETRY_S."""
        before = self._player.frames_pulled
        if self._closed.wait(RETRY_S):
            return False
        return self._player.frames_pulled - before >= self._player.sample_rate_hz * RETRY_S / 2
