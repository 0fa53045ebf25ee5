"""The echo cancellers `bench/bargein.py` measures, each taking 10 ms of the microphone and the
10 ms being played: WebRTC's AEC3 (the `livekit` wheel, when installed: not a dependency) and
SpeexDSP's (libspeexdsp through ctypes, Debian's `libspeexdsp1`), and the guard that hears a frame
only when it stands out of the echo expected to be left in it."""

from __future__ import annotations

import ctypes
import ctypes.util
import time

import numpy as np

RATE = 16000
TEN_MS = RATE // 100
Floats = np.ndarray  # float64 samples, int16 scale


class Canceller:
    """Takes 10 ms of the microphone and the 10 ms being played, gives 10 ms cleaned."""

    def process(self, mic: Floats, played: Floats) -> Floats:
        return mic


class Aec3(Canceller):
    def __init__(self, delay_ms: int) -> None:
        from livekit import rtc  # type: ignore[import-not-found, unused-ignore]  # a scratch venv's; not a dependency

        self._rtc = rtc
        self._apm = rtc.AudioProcessingModule(echo_cancellation=True)
        self._delay_ms = delay_ms

    def process(self, mic: Floats, played: Floats) -> Floats:
        rtc = self._rtc
        far = rtc.AudioFrame(np.clip(played, -32768, 32767).astype("<i2").tobytes(), RATE, 1, TEN_MS)
        self._apm.process_reverse_stream(far)
        near = rtc.AudioFrame(np.clip(mic, -32768, 32767).astype("<i2").tobytes(), RATE, 1, TEN_MS)
        self._apm.set_stream_delay_ms(self._delay_ms)
        self._apm.process_stream(near)
        return np.frombuffer(bytes(near.data), "<i2").astype(np.float64)


class Speex(Canceller):
    def __init__(self, tail_ms: int = 200, suppress: bool = False) -> None:
        lib = ctypes.CDLL(ctypes.util.find_library("speexdsp") or "libspeexdsp.so.1")
        lib.speex_echo_state_init.restype = ctypes.c_void_p
        lib.speex_preprocess_state_init.restype = ctypes.c_void_p
        lib.speex_echo_cancellation.argtypes = [ctypes.c_void_p] + [ctypes.c_void_p] * 3
        lib.speex_echo_ctl.argtypes = [ctypes.c_void_p, ctypes.c_int, ctypes.c_void_p]
        lib.speex_preprocess_ctl.argtypes = [ctypes.c_void_p, ctypes.c_int, ctypes.c_void_p]
        lib.speex_preprocess_run.argtypes = [ctypes.c_void_p, ctypes.c_void_p]
        self._lib = lib
        self._echo = lib.speex_echo_state_init(TEN_MS, tail_ms * RATE // 1000)
        rate = ctypes.c_int(RATE)
        lib.speex_echo_ctl(self._echo, 24, ctypes.byref(rate))  # SPEEX_ECHO_SET_SAMPLING_RATE
        self._pre = None
        if suppress:
            self._pre = lib.speex_preprocess_state_init(TEN_MS, RATE)
            lib.speex_preprocess_ctl(self._pre, 24, ctypes.c_void_p(self._echo))  # SET_ECHO_STATE
            off = ctypes.c_int(0)
            lib.speex_preprocess_ctl(self._pre, 0, ctypes.byref(off))  # SET_DENOISE
            lib.speex_preprocess_ctl(self._pre, 2, ctypes.byref(off))  # SET_AGC

    def process(self, mic: Floats, played: Floats) -> Floats:
        rec = np.clip(mic, -32768, 32767).astype("<i2")
        ref = np.clip(played, -32768, 32767).astype("<i2")
        out = np.zeros(TEN_MS, "<i2")
        self._lib.speex_echo_cancellation(self._echo, rec.ctypes.data, ref.ctypes.data, out.ctypes.data)
        if self._pre is not None:
            self._lib.speex_preprocess_run(self._pre, out.ctypes.data)
        return out.astype(np.float64)


class Gated(Canceller):
    """The linear canceller's output, heard only where WebRTC's AEC3 (which takes the echo far
    lower, and the person's voice with it, in part) hears something within `open_db` of it: AEC3
    as the detector of a voice that is not the program's, the linear canceller as the ears."""

    def __init__(self, delay_ms: int, open_db: float = -15.0, hang_ms: int = 150) -> None:
        self._linear, self._aec3 = Speex(), Aec3(delay_ms)
        self._open = 10 ** (open_db / 10)
        self._hang, self._left = hang_ms // 10, 0

    def process(self, mic: Floats, played: Floats) -> Floats:
        linear = self._linear.process(mic, played)
        deep = self._aec3.process(mic, played)
        if np.mean(deep**2) > self._open * np.mean(linear**2) + 1.0:
            self._left = self._hang
        elif self._left > 0:
            self._left -= 1
        return linear if self._left > 0 else linear * 10 ** (-30 / 20)


def cancelled(mic: Floats, played: Floats, canceller: Canceller) -> tuple[Floats, float]:
    """The whole stream through the canceller, and its compute in seconds a second of audio."""
    out = np.zeros(len(mic) // TEN_MS * TEN_MS)
    began = time.process_time()
    for i in range(0, len(out), TEN_MS):
        out[i:i + TEN_MS] = canceller.process(mic[i:i + TEN_MS], played[i:i + TEN_MS])
    return out, (time.process_time() - began) / (len(out) / RATE)


def guarded(out: Floats, reference: Floats, guard_db: float, run: int = 1, hang_db: float = 0.0) -> Floats:
    """`out` through the guard crampvoice runs (listen/duplex.py's `Guard`), 20 ms at a time; `run`:
    how many frames in a row must stand out; `hang_db`: how much less will do, once they have."""
    from crampvoice.listen.duplex import Guard

    guard, n = Guard(guard_db, run=run, hang_db=hang_db), 2 * TEN_MS
    o = np.clip(out, -32768, 32767).astype("<i2")
    r = np.clip(reference, -32768, 32767).astype("<i2")
    kept = [np.frombuffer(guard.process(o[i:i + n].tobytes(), r[i:i + n].tobytes()), "<i2")
            for i in range(0, len(o) // n * n, n)]
    kept = kept[run - 1:] + [np.zeros(n, "<i2")] * (run - 1)  # the guard looks `run - 1` frames ahead: as late
    return np.concatenate(kept).astype(np.float64)
