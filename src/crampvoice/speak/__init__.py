"""Speech out: adapters behind the `Speaker` port. Importing them loads no audio library."""

from __future__ import annotations

from collections.abc import Callable

from ..core.events import Notice
from .player import SoundDevicePlayer
from .synth import ESPEAK_RATE_HZ, Pyttsx3Synth, VoiceSettings
from .voice import VoiceSpeaker


def build_voice_speaker(settings: VoiceSettings, notify: Callable[[Notice], None]) -> VoiceSpeaker:
    """espeak-ng through pyttsx3, played through PortAudio; DeviceError if either is missing."""
    synth = Pyttsx3Synth(settings)
    try:
        player = SoundDevicePlayer(ESPEAK_RATE_HZ)
    except BaseException:
        synth.close()
        raise
    return VoiceSpeaker(synth, player, settings, notify)
