"""Listening while it speaks (issue 32, opt-in): the program's own voice taken out of what the
microphone hears, so that "stop" or "pause" said over a sentence is heard.

- The reference is the speaker's monitor (`@DEFAULT_MONITOR@`: what the default output plays),
  read through the sound server's own client like the microphone, so that it is on the
  microphone's clock: the samples written would drift against it (docs/benchmarks.md).
- SpeexDSP's linear echo canceller (libspeexdsp, through ctypes: Debian's `libspeexdsp1`,
  BSD-3-Clause) takes the echo down by about 24 dB; its residual echo suppressor is left off,
  as it takes the person's voice with the echo.
- The echo's lag measured and followed (`Aligner`): the microphone held back 60 ms, in case the
  echo comes before the monitor's frame, and the reference delayed to keep the lag the
  canceller learnt, as it drifts.
- A guard: a 20 ms frame of the canceller's output counts only when it is GUARD_DB louder than the
  echo expected to be left in it (the reference's loudest power over the last REACH_MS times the
  canceller's running gain), and only among RUN_FRAMES such frames in a row; any other frame is
  silenced, so that what the canceller leaves of the program's own words never opens the
  voice-activity detector.

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
from .endpoint import FRAME_BYTES, FRAME_MS, SAMPLE_RATE_HZ

# What may be acted on while it speaks: what must always work, and what asks for the sentence
# again or louder. Never next, back, yes or no: the program's own instructions say them.
WHILE_SPEAKING = ALWAYS_HEARD | {Command.REPEAT, Command.LOUDER, Command.QUIETER}
GUARD_DB = 20.0  # bench/bargein.py: 15 and 20 dB took none of its own words offline; live through the
                 # virtual loopback, 15 dB took its own "stop" (a script saying nothing but commands), 20 dB none
TAIL_MS = 200  # the echo path the canceller models: the room's delay and reverberation
RELEARN = 0.01  # how fast the gain rises to what stands out (in dB, a hundredth a frame): a word over
                # the echo raises it a few dB; an echo the canceller lost, for seconds, all the way
RUN_FRAMES = 4  # frames in a row that must stand out (80 ms): on sessions recorded live through the
               # virtual loopback, 3 let blips of its own through, 4 and 5 none; 4 heard more (docs/benchmarks.md)
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
    """Silences each frame not `guard_db` louder than the echo expected to be left in it, and any
    that is but not among `run` such frames in a row: where the canceller falls behind a moving
    echo, what it leaves of the program's own words stands out a frame or two at a time, while a
    word said over them does for a tenth of a second and more. Once a run has stood out, frames
    `hang_db` less go on with it, to a word's quieter end (measured, not on: live, its own words
    got through, docs/benchmarks.md). What it gives back is `run - 1` frames late: it looks that
    far ahead."""

    QUIET_REFERENCE = 1e3  # a reference quieter than this plays nothing worth the name

    def __init__(self, guard_db: float = GUARD_DB, run: int = RUN_FRAMES, hang_db: float = 0.0) -> None:
        self._over = 10 ** (guard_db / 10)
        self._hang = 10 ** ((guard_db - hang_db) / 10)
        self.run = run
        self._waiting: deque[bytes] = deque()  # frames not given back yet
        self._streak = 0  # frames in a row that stood out, up to the one just taken
        self._open = 0  # of the waiting frames, how many from the oldest are given back as heard
        self._recent: deque[float] = deque(maxlen=REACH_MS // 20)  # the reference's power, over REACH_MS
        self.gain = 1.0  # the canceller's output over its reference, learnt in single talk

    def process(self, out: bytes, played: bytes) -> bytes:
        over = self._over if self._streak < self.run else self._hang
        self._streak = self._streak + 1 if self._stands_out(out, played, over) else 0
        if self._streak >= self.run:
            self._open = self.run  # this frame and the ones of the run before it
        self._waiting.append(out)
        if len(self._waiting) < self.run:
            return bytes(len(out))
        frame = self._waiting.popleft()
        if self._open == 0:
            return bytes(len(frame))
        self._open -= 1
        return frame

    def _stands_out(self, out: bytes, played: bytes, over: float) -> bool:
        self._recent.append(_power(played))
        reference = max(self._recent)
        if reference < self.QUIET_REFERENCE:
            return True
        heard = _power(out)
        expected = self.gain * reference
        if heard < 4 * expected:  # nothing louder than the echo: learn the gain, slowly
            self.gain = 0.98 * self.gain + 0.02 * heard / reference
        else:  # a voice over it, or an echo the canceller lost: if it lasts, longer than words do, the echo
            self.gain *= (heard / expected) ** RELEARN
        return heard >= expected * over


class Aligner:
    """The microphone held back a little, and the speakers' monitor delayed, so that the
    microphone hears the echo as late after the monitor as when first measured.

    - The hold: the monitor is read ahead of the microphone, but not always by more than the echo
      takes to come back; live through the virtual loopback, the echo was 29 ms early in one
      session, which no canceller can take out (the guard then let its own words through).
    - The drift: where the echo's path drifts (a loudspeaker on another clock than the
      microphone; the virtual loopback, 120 ppm while it settles) the canceller falls behind
      it: live, it took the echo down by 7 dB instead of 29 (docs/benchmarks.md). So every
      second the echo's lag is measured (GCC-PHAT over the last second, while something plays),
      and the reference follows it, the lags of the last few seconds on a line: 20 dB, and 19
      where the echo came early."""

    HOLD = 3  # frames the microphone is held back (60 ms): how early an echo may come
    WINDOW = SAMPLE_RATE_HZ  # the microphone's last second, against the monitor's
    MAX_LAG = SAMPLE_RATE_HZ // 2  # the latest an echo is looked for (500 ms)
    MARGIN = SAMPLE_RATE_HZ // 100  # kept in hand (10 ms), to follow an echo that comes sooner
    EVERY = 50  # frames between measurements (1 s)
    CLEAR = 6.0  # how far the correlation's peak must stand over its spread to be believed
    JUMP = SAMPLE_RATE_HZ // 200  # a lag that moves more (5 ms) is jumped to, not followed
    SLEW = 0.1  # samples a frame the delay moves by, following
    TAPS = np.arange(-7, 9)  # the interpolating filter's, about its sample

    def __init__(self) -> None:
        self._held: deque[bytes] = deque([bytes(FRAME_BYTES)] * self.HOLD)
        self._played = np.zeros(self.WINDOW + self.MAX_LAG)
        self._heard = np.zeros(self.WINDOW)
        self._frames = 0
        self._kept: float | None = None  # the lag the canceller is given to learn (samples)
        self._lags: deque[tuple[int, float]] = deque(maxlen=6)  # (frame, lag) measured lately
        self.delay = 0.0  # how much the reference is delayed (samples)

    def align(self, mic: bytes, played: bytes) -> tuple[bytes, bytes]:
        """The microphone's frame from HOLD frames ago, and the reference for it."""
        self._held.append(mic)
        mic = self._held.popleft()
        for history, frame in ((self._played, played), (self._heard, mic)):  # shifted in place: no new array a frame
            history[:-FRAME] = history[FRAME:]
            history[-FRAME:] = np.frombuffer(frame, "<i2")
        self._frames += 1
        if self._frames % self.EVERY == 0:
            self._measure()
        step = self._wanted() - self.delay
        self.delay += step if abs(step) > self.JUMP else float(np.clip(step, -self.SLEW, self.SLEW))
        return mic, bytes(np.clip(self._late(), -32768, 32767).astype("<i2").tobytes())

    def _late(self) -> np.ndarray:
        """The monitor's last frame, `delay` samples late, between samples too (a windowed sinc:
        interpolated straight, the echo's path would change as the fraction does, and the
        canceller with it)."""
        delay = max(self.delay, float(self.TAPS[-1]))
        whole = int(delay)
        kernel = np.sinc(self.TAPS - (delay - whole)) * np.hanning(len(self.TAPS) + 2)[1:-1]
        end = len(self._played) - whole + self.TAPS[-1] - 1
        return np.convolve(self._played[end - FRAME - len(self.TAPS) + 1:end], kernel / kernel.sum(), "valid")

    def _wanted(self) -> float:
        if self._kept is None or not self._lags:
            return self.delay
        if len(self._lags) == 1:
            return max(self._lags[0][1] - self._kept, 0.0)
        frames, lags = np.array(self._lags).T  # the lags lately, on a line: now's, where it goes
        _, at = np.polyfit(frames - self._frames, lags, 1)
        return max(float(at) - self._kept, 0.0)

    def _measure(self) -> None:
        if np.mean(self._played[-self.WINDOW:] ** 2) < 1e5:  # too little played to measure by
            return
        size = 1 << int(np.ceil(np.log2(len(self._played) + self.WINDOW)))
        spectrum = np.fft.rfft(self._heard, size) * np.conj(np.fft.rfft(self._played, size))
        c = np.fft.irfft(spectrum / (np.abs(spectrum) + 1e-9), size)
        scores = c[(np.arange(self.MAX_LAG) - self.MAX_LAG) % size]  # scores[k]: the echo k samples late
        k = int(np.argmax(scores))
        if scores[k] < self.CLEAR * np.std(scores):  # no clear echo: a voice over it, or noise
            return
        lag = float(k)
        if 0 < k < len(scores) - 1:  # between samples, from the peak's neighbours
            a, b, c2 = scores[k - 1], scores[k], scores[k + 1]
            lag += 0.5 * (a - c2) / (a - 2 * b + c2)
        if self._lags and abs(lag - self._lags[-1][1]) > self.JUMP:
            self._lags.clear()
        self._lags.append((self._frames - self.WINDOW // FRAME // 2, lag))  # the lag half a window ago
        if self._kept is None:
            self._kept = max(lag - self.MARGIN, 0.0)


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
    """The microphone's frames with the program's own voice taken out: `clean(frame)`, 120 ms
    late (the microphone's hold, and the guard's look ahead).

    `quiet_ms` says how long before the frame just given back the speakers last played
    anything, on the microphone's own clock (negative: not yet quiet). A microphone thread
    busy deciding an utterance reads its frames late, so the wall clock cannot say which of
    them its own speech is in; the monitor, read in step with them, can."""

    def __init__(self, monitor: Monitor, canceller: SpeexCanceller, guard: Guard) -> None:
        self._monitor, self._canceller, self._guard = monitor, canceller, guard
        self._aligner = Aligner()
        self._late = Aligner.HOLD + guard.run - 1  # frames
        self._quiet = 1 << 30  # monitor frames since it last played anything

    @property
    def quiet_ms(self) -> int:
        return (self._quiet - self._late) * FRAME_MS

    def clean(self, mic: bytes) -> bytes:
        played = self._monitor.take()
        self._quiet = 0 if _power(played) >= Guard.QUIET_REFERENCE else self._quiet + 1
        mic, played = self._aligner.align(mic, played)
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
