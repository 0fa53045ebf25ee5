"""Listening while it speaks (issue 32, opt-in): the program's own voice taken out of what the
microphone hears, so that "stop" or "pause" said over a sentence is heard.

- The reference is the speaker's monitor (`@DEFAULT_MONITOR@`: what the default output plays),
  read through the sound server's own client like the microphone, so that it is on the
  microphone's clock: the samples written would drift against it (docs/benchmarks.md).
- SpeexDSP's linear echo canceller (libspeexdsp, through ctypes: Debian's `libspeexdsp1`,
  BSD-3-Clause) takes the echo down by about 24 dB; its residual echo suppressor is left off,
  as it takes the person's voice with the echo.
- A guard: a 20 ms frame of the canceller's output counts only when it is GUARD_DB louder than the
  echo expected to be left in it (the reference's loudest power over the last REACH_MS times the
  canceller's running gain); any other frame is silenced, so that what the canceller leaves
  of the program's own words never opens the voice-activity detector.

Where the library or the monitor cannot be had, `open_duplex` says why and listening stays
half-duplex (mic.py).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import threading
from collections import deque
from typing import Any

import numpy as np

from ..core.commands import ALWAYS_HEARD, Command
from .endpoint import FRAME_BYTES, SAMPLE_RATE_HZ

# What may be acted on while it speaks: what must always work, and what asks for the sentence
# again or louder. Never next, back, yes or no: the program's own instructions say them.
WHILE_SPEAKING = ALWAYS_HEARD | {Command.REPEAT, Command.LOUDER, Command.QUIETER}
GUARD_DB = 20.0  # bench/bargein.py: 15 and 20 dB took none of its own words offline; live through the
                 # virtual loopback, 15 dB took its own "stop" (a script saying nothing but commands), 20 dB none
TAIL_MS = 200  # the echo path the canceller models: the room's delay and reverberation
AROUND_FRAMES = 0  # frames kept either side of one heard: 3 (60 ms) heard taught words far better offline,
                   # but live through the virtual loopback it let its own "stop" through (docs/benchmarks.md)
REACH_MS = 300  # how long after a sound on the monitor its echo may still be heard (80 ms late through the
                # virtual loopback, then the room's reverberation): the guard weighs a frame against this much
FRAME = FRAME_BYTES // 2  # samples in 20 ms
LEAD_FRAMES = 500  # the monitor kept this far ahead of the microphone at most (10 s): a microphone thread
                   # busy deciding an utterance falls behind both alike, and catches up in step
WAIT_S = 0.1  # how long the microphone's frame waits for the monitor's
MONITOR = "@DEFAULT_MONITOR@"
SPEEX_HINT = "install SpeexDSP: sudo apt-get install libspeexdsp1"


def speexdsp() -> Any:
    """libspeexdsp, or OSError."""
    return ctypes.CDLL(ctypes.util.find_library("speexdsp") or "libspeexdsp.so.1")


class SpeexCanceller:
    """SpeexDSP's adaptive linear canceller, 20 ms at a time."""

    SET_SAMPLING_RATE = 24

    def __init__(self, lib: Any | None = None) -> None:
        lib = lib or speexdsp()
        lib.speex_echo_state_init.restype = ctypes.c_void_p
        lib.speex_echo_state_init.argtypes = [ctypes.c_int, ctypes.c_int]
        lib.speex_echo_cancellation.argtypes = [ctypes.c_void_p] * 4
        lib.speex_echo_ctl.argtypes = [ctypes.c_void_p, ctypes.c_int, ctypes.c_void_p]
        lib.speex_echo_state_destroy.argtypes = [ctypes.c_void_p]
        self._lib = lib
        self._state = lib.speex_echo_state_init(FRAME, TAIL_MS * SAMPLE_RATE_HZ // 1000)
        rate = ctypes.c_int(SAMPLE_RATE_HZ)
        lib.speex_echo_ctl(self._state, self.SET_SAMPLING_RATE, ctypes.byref(rate))
        self._out = ctypes.create_string_buffer(FRAME_BYTES)

    def process(self, mic: bytes, played: bytes) -> bytes:
        self._lib.speex_echo_cancellation(self._state, mic, played, self._out)
        return self._out.raw

    def close(self) -> None:
        if self._state:
            self._lib.speex_echo_state_destroy(self._state)
            self._state = None


def _power(frame: bytes) -> float:
    samples = np.frombuffer(frame, "<i2").astype(np.float64)
    return float(np.mean(samples**2)) if len(samples) else 0.0


class Guard:
    """Silences each frame not `guard_db` louder than the echo expected to be left in it, unless one
    within `around` frames is (what bench/echo.py's `guarded` measures). What it gives back is
    `around` frames late: it looks that far ahead."""

    QUIET_REFERENCE = 1e3  # a reference quieter than this plays nothing worth the name

    def __init__(self, guard_db: float = GUARD_DB, around: int = AROUND_FRAMES) -> None:
        self._over = 10 ** (guard_db / 10)
        self._around = around
        self._waiting: deque[tuple[bytes, bool]] = deque([(bytes(FRAME_BYTES), False)] * around)
        self._heard_at = -1  # how many frames ago one was heard; -1: not within reach
        self._recent: deque[float] = deque(maxlen=REACH_MS // 20)  # the reference's power, over REACH_MS
        self.gain = 1.0  # the canceller's output over its reference, learnt in single talk

    def process(self, out: bytes, played: bytes) -> bytes:
        self._waiting.append((out, self._stands_out(out, played)))
        self._heard_at = 0 if self._waiting[-1][1] else self._heard_at + 1 if self._heard_at >= 0 else -1
        if self._heard_at > 2 * self._around:
            self._heard_at = -1
        frame, _ = self._waiting.popleft()  # `around` frames ago: heard if one within `around` either side was
        return frame if self._heard_at >= 0 else bytes(len(frame))

    def _stands_out(self, out: bytes, played: bytes) -> bool:
        self._recent.append(_power(played))
        reference = max(self._recent)
        if reference < self.QUIET_REFERENCE:
            return True
        heard = _power(out)
        expected = self.gain * reference
        if heard < 4 * expected:  # nothing louder than the echo: learn the gain, slowly
            self.gain = 0.98 * self.gain + 0.02 * heard / reference
        return heard >= expected * self._over


class Monitor:
    """The speaker's monitor, read through the sound server's own client on a thread of its own:
    20 ms frames handed out one for each of the microphone's, in step."""

    def __init__(self, stream: Any) -> None:
        self._stream = stream
        self._frames: deque[bytes] = deque()
        self._arrived = threading.Condition()
        self._closed = threading.Event()
        self._reader = threading.Thread(target=self._read, daemon=True, name="crampvoice-monitor")
        self._reader.start()

    def _read(self) -> None:
        from pasimple import PaSimpleError

        while not self._closed.is_set():
            try:
                chunk = self._stream.read(2 * FRAME_BYTES)
            except PaSimpleError:  # the server or the sink is gone: silence from here
                return
            with self._arrived:
                for i in range(0, len(chunk), FRAME_BYTES):
                    self._frames.append(chunk[i:i + FRAME_BYTES])
                while len(self._frames) > LEAD_FRAMES:  # the microphone has stopped being read
                    self._frames.popleft()
                self._arrived.notify()

    def take(self) -> bytes:
        """The monitor's next frame, waiting a little for it; silence if none came."""
        with self._arrived:
            if not self._arrived.wait_for(lambda: bool(self._frames), WAIT_S):
                return bytes(FRAME_BYTES)
            return self._frames.popleft()

    def close(self) -> None:
        self._closed.set()
        self._reader.join(timeout=1.0)
        if not self._reader.is_alive():
            self._stream.close()


class Duplex:
    """The microphone's frames with the program's own voice taken out: `clean(frame)`."""

    def __init__(self, monitor: Monitor, canceller: SpeexCanceller, guard: Guard) -> None:
        self._monitor, self._canceller, self._guard = monitor, canceller, guard

    def clean(self, mic: bytes) -> bytes:
        played = self._monitor.take()
        return self._guard.process(self._canceller.process(mic, played), played)

    def close(self) -> None:
        self._monitor.close()
        self._canceller.close()


def open_duplex() -> tuple[Duplex | None, str]:
    """Listening while speaking, ready, or None and why it cannot be had here (in a few words,
    with what to do)."""
    try:
        lib = speexdsp()
    except OSError:
        return None, f"SpeexDSP's echo canceller is not installed ({SPEEX_HINT})"
    try:
        import pasimple
    except ImportError:
        return None, "the sound server's own client (pasimple) is not installed (reinstall crampvoice: ./dev.sh run)"
    try:
        stream = pasimple.PaSimple(pasimple.PA_STREAM_RECORD, pasimple.PA_SAMPLE_S16LE, 1, SAMPLE_RATE_HZ,
                                   app_name="crampvoice", stream_name="its own voice, to take out",
                                   device_name=MONITOR, fragsize=2 * FRAME_BYTES)
    except pasimple.PaSimpleError as e:
        return None, f"the speakers' monitor cannot be read ({e}): it needs PulseAudio or PipeWire"
    return Duplex(Monitor(stream), SpeexCanceller(lib), Guard()), "SpeexDSP's canceller, the speakers' monitor"
