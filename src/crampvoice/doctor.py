"""`crampvoice doctor`: each check says what works, or raises DeviceError with the fix."""

from __future__ import annotations

from .speak.player import SoundDevicePlayer
from .speak.synth import ESPEAK_RATE_HZ, Pyttsx3Synth


def check_synthesis() -> str:
    with Pyttsx3Synth() as synth:
        audio = synth.synth("Testing.")
        return f"espeak-ng through pyttsx3, {len(synth.voices)} voices; 'Testing.' takes {audio.duration_s:.2f} s"


def check_output() -> str:
    player = SoundDevicePlayer(ESPEAK_RATE_HZ)
    player.close()
    return f"PortAudio plays to '{player.name}'"


def check_recognizer() -> str:
    from .core.commands import Vocabulary
    from .listen.embedding import Embedder
    from .listen.hearing import build_from_takes, hears_with
    from .listen.sphinx import SphinxRecognizer

    recognizer = SphinxRecognizer(Vocabulary())
    Embedder()  # the personal recogniser's front end loads
    return (f"{hears_with()}. pocketsphinx en-us, listening for {len(recognizer.phrases())} phrases; "
            "the speech embedding loads. "
            f"{build_from_takes().summary}")


def check_microphone() -> str:
    from .listen.capture import Capture
    from .listen.mic import input_devices

    capture = Capture()  # the default microphone, opened as `run` opens it
    capture.close()
    devices = input_devices()
    return (f"the default is read through {capture.route}; {len(devices)} input device(s) for --mic "
            "('crampvoice devices')")
