"""The microphone through PortAudio (sounddevice, the binding playback uses), one utterance at a time.

What `teach` and `words add` record a person's takes with: 20 ms frames of 16 kHz mono
arrive from PortAudio's callback; the voice-activity detector says where a take starts
and ends, keeping a little from before its start so the first consonant is not lost.
"""

from __future__ import annotations

import queue
from collections.abc import Callable, Iterator
from typing import Any

from ..audio import Audio
from ..core.errors import DeviceError
from ..speak.player import quiet_alsa
from .endpoint import FRAME_BYTES, FRAME_MS, SAMPLE_RATE_HZ, Endpointer, webrtc_vad
from .stream import utterances
from .takes import TAKE_TIMING

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
    """A microphone stream kept open; `frames` hands out what it heard since the last call."""

    def __init__(self, device: int | None = None) -> None:
        sd = sounddevice()
        self._frames: queue.SimpleQueue[bytes] = queue.SimpleQueue()
        try:
            self._stream: Any = sd.RawInputStream(
                samplerate=SAMPLE_RATE_HZ, channels=1, dtype="int16", blocksize=FRAME_BYTES // 2, device=device,
                callback=self._heard)
            self._stream.start()
        except (ValueError, sd.PortAudioError) as e:
            raise DeviceError(f"no microphone could be opened ({e})", NO_MIC_HINT) from None

    def _heard(self, data: Any, _frames: int, _when: Any, _status: Any) -> None:
        self._frames.put(bytes(data))

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
        try:
            self._stream.abort()
            self._stream.close()
        except Exception:
            pass




def record_utterance(capture: Capture, wait_s: float, cancelled: Callable[[], bool]) -> Audio | None:
    """One utterance from the microphone: None if nobody spoke within `wait_s`, or if cancelled."""
    endpointer = Endpointer(webrtc_vad(), TAKE_TIMING)

    def heard() -> Iterator[bytes]:
        waited_ms = 0
        while not cancelled() and (endpointer.in_utterance or waited_ms <= wait_s * 1000):
            frame = capture.frame(timeout_s=2.0)
            if frame is None:
                raise DeviceError("the microphone stopped sending sound", NO_MIC_HINT)
            waited_ms += FRAME_MS
            yield frame

    return next(utterances(heard(), endpointer), None)
