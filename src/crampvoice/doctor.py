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
