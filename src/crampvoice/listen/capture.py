"""The microphone, 20 ms frames of 16 kHz mono, and one utterance at a time from it.

The system's default microphone is read through PulseAudio's (or PipeWire's) own simple
client, `pasimple`: listening all night, that costs about 1 % of a core, where PortAudio's
route through ALSA's pulse plugin costs 5 to 10 % before anything is heard (bench/live.py).
A microphone asked for by name or number (`--mic`), or a system with no PulseAudio or
PipeWire, is read through PortAudio (sounddevice, the binding playback uses).

What `teach` and `words add` record a person's takes with: the voice-activity detector says
where a take starts and ends, keeping a little from before its start so the first consonant
is not lost.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterator
from typing import Any

from ..audio import Audio
from ..core.errors import DeviceError
from ..speak.player import quiet_alsa
from .endpoint import FRAME_BYTES, FRAME_MS, SAMPLE_RATE_HZ
from .stream import utterances
from .takes import take_endpointer

# Two frames a read: 0.6 % of a core where one a read took 1.3 % (waking 50 times a second),
# for at most 20 ms more before an utterance's end is seen.
READ_BYTES = 2 * FRAME_BYTES
NO_MIC_HINT = "plug one in, or check 'crampvoice devices' and pass --mic"


def sounddevice() -> Any:
    """PortAudio's binding, with ALSA's own diagnostics kept off the terminal."""
    quiet_alsa()
    try:
        import sounddevice
    except (ImportError, OSError) as e:
        raise DeviceError(f"PortAudio is not available ({e})",
                          "install it with 'sudo apt-get install libportaudio2'") from None
    return sounddevice


class Capture:
    """A microphone stream kept open; `frame` hands out what it heard, 20 ms at a time."""

    def __init__(self, device: int | None = None) -> None:
        self._frames: queue.SimpleQueue[bytes] = queue.SimpleQueue()
        self._closed = threading.Event()
        self._stream: Any = None
        self._pulse = _pulse_stream() if device is None else None
        self.route = "PulseAudio's own client (pasimple)" if self._pulse is not None else "PortAudio"
        if self._pulse is not None:
            self._reader = threading.Thread(target=self._read_pulse, args=(self._pulse,), daemon=True,
                                            name="crampvoice-pulse-mic")
            self._reader.start()
            return
        sd = sounddevice()
        try:
            self._stream = sd.RawInputStream(
                samplerate=SAMPLE_RATE_HZ, channels=1, dtype="int16", blocksize=FRAME_BYTES // 2, device=device,
                callback=self._heard)
            self._stream.start()
        except (ValueError, sd.PortAudioError) as e:
            raise DeviceError(f"no microphone could be opened ({e})", NO_MIC_HINT) from None

    def _heard(self, data: Any, _frames: int, _when: Any, _status: Any) -> None:
        self._frames.put(bytes(data))

    def _read_pulse(self, stream: Any) -> None:
        """Blocking reads, two frames each. A server that goes away ends them; frames stop coming,
        which is what the session's watchdog looks for."""
        from pasimple import PaSimpleError

        while not self._closed.is_set():
            try:
                chunk = stream.read(READ_BYTES)
            except PaSimpleError:  # the server or the source is gone
                return
            for i in range(0, READ_BYTES, FRAME_BYTES):
                self._frames.put(chunk[i:i + FRAME_BYTES])

    def frame(self, timeout_s: float) -> bytes | None:
        """The next 20 ms frame, or None when the microphone has sent nothing for `timeout_s`."""
        try:
            return self._frames.get(timeout=timeout_s)
        except queue.Empty:
            return None

    def drain(self) -> None:
        """Forget what was heard so far (the program's own prompt, say)."""
        while not self._frames.empty():
            self._frames.get_nowait()

    def close(self) -> None:
        self._closed.set()
        if self._pulse is not None:
            # A read blocked on a suspended source never returns: its stream is left to the
            # end of the process rather than freed under it.
            self._reader.join(timeout=1.0)
            if not self._reader.is_alive():
                self._pulse.close()
            return
        try:
            self._stream.abort()
            self._stream.close()
        except Exception:
            pass


def _pulse_stream() -> Any:
    """The default microphone from PulseAudio or PipeWire's own client; None where there is
    neither (or no pasimple, or no libpulse-simple), and PortAudio is tried instead."""
    try:
        import pasimple
    except ImportError:
        return None
    try:
        return pasimple.PaSimple(pasimple.PA_STREAM_RECORD, pasimple.PA_SAMPLE_S16LE, 1, SAMPLE_RATE_HZ,
                                 app_name="crampvoice", stream_name="listening for commands",
                                 fragsize=READ_BYTES)
    except pasimple.PaSimpleError:  # no server, no source, or no libpulse-simple.so.0
        return None


def record_utterance(capture: Capture, wait_s: float, cancelled: Callable[[], bool]) -> Audio | None:
    """One utterance from the microphone: None if nobody spoke within `wait_s`, or if cancelled."""
    endpointer = take_endpointer()

    def heard() -> Iterator[bytes]:
        waited_ms = 0
        while not cancelled() and (endpointer.in_utterance or waited_ms <= wait_s * 1000):
            frame = capture.frame(timeout_s=2.0)
            if frame is None:
                raise DeviceError("the microphone stopped sending sound", NO_MIC_HINT)
            waited_ms += FRAME_MS
            yield frame

    return next(utterances(heard(), endpointer), None)
