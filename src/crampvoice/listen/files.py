"""Audio files of any common kind (WAV, FLAC, AIFF; any rate and channels), read by SpeechRecognition."""

from __future__ import annotations

import struct
import warnings
from pathlib import Path
from types import ModuleType

from ..audio import Audio, parse_wav
from ..core.errors import CrampvoiceError, DeviceError


def speech_recognition() -> ModuleType:
    """SpeechRecognition, imported without its warnings about the aifc and audioop modules it uses."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            import speech_recognition
    except ImportError as e:
        raise DeviceError(f"SpeechRecognition is not installed ({e})", "reinstall crampvoice: ./dev.sh run") from None
    return speech_recognition  # type: ignore[no-any-return]


def read_audio(path: Path) -> Audio:
    """WAV of any sample type read here (SpeechRecognition takes only 8, 16 and 32-bit integer PCM
    in a plain header); FLAC and AIFF through SpeechRecognition."""
    try:
        with open(path, "rb") as f:
            if f.read(12)[8:12] == b"WAVE":
                f.seek(0)
                return parse_wav(f.read())
    except FileNotFoundError:
        raise CrampvoiceError(f"{path}: no such file", "check the path") from None
    except (ValueError, OSError, struct.error) as e:
        raise CrampvoiceError(f"{path}: cannot read it as audio ({first_line(e)})",
                              "give a WAV, FLAC or AIFF file") from None
    sr = speech_recognition()
    try:
        with sr.AudioFile(str(path)) as source:
            data = sr.Recognizer().record(source)
        return Audio(data.get_raw_data(convert_width=2), data.sample_rate, 1)
    except FileNotFoundError:
        raise CrampvoiceError(f"{path}: no such file", "check the path") from None
    except (ValueError, EOFError, OSError, AssertionError) as e:
        raise CrampvoiceError(f"{path}: cannot read it as audio ({first_line(e)})",
                              "give a WAV, FLAC or AIFF file") from None


def first_line(e: BaseException) -> str:
    """An exception's message, as one line fit for a person."""
    lines = str(e).strip().splitlines()
    return lines[0] if lines else type(e).__name__
