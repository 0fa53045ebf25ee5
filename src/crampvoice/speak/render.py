"""A whole unattended session as one WAV: every sentence and cue, every hold and rest as silence.

The timing comes from `timeline.simulate`, the same sequencer a live session runs, with
each sentence taking as long as espeak-ng actually takes to say it.
"""

from __future__ import annotations

from collections.abc import Callable

from ..audio import SAMPLE_WIDTH_BYTES, Audio
from ..core.events import Say
from ..core.script import Script
from ..core.timeline import Moment, simulate, total_s
from .synth import ESPEAK_RATE_HZ, Pyttsx3Synth

Progress = Callable[[int, int], None]


def sentences(script: Script, synth: Pyttsx3Synth, progress: Progress = lambda done, total: None) -> dict[str, Audio]:
    """Every sentence an unattended session says, synthesised once each."""
    texts = list(dict.fromkeys(m.effect.text for m in simulate(script) if isinstance(m.effect, Say)))
    spoken: dict[str, Audio] = {}
    for n, text in enumerate(texts, start=1):
        spoken[text] = synth.synth(text)
        progress(n, len(texts))
    return spoken


def render(script: Script, synth: Pyttsx3Synth,
           progress: Progress = lambda done, total: None) -> tuple[Audio, list[Moment]]:
    """The session's audio, and its timeline (when each sentence starts)."""
    spoken = sentences(script, synth, progress)
    moments = simulate(script, lambda text: spoken[text].duration_s)
    pcm = bytearray(round(total_s(moments) * ESPEAK_RATE_HZ) * SAMPLE_WIDTH_BYTES)
    for moment in moments:
        if isinstance(moment.effect, Say):
            audio = spoken[moment.effect.text]
            at = round(moment.at_s * ESPEAK_RATE_HZ) * SAMPLE_WIDTH_BYTES
            pcm[at:at + len(audio.pcm)] = audio.pcm
    return Audio(bytes(pcm), ESPEAK_RATE_HZ), moments
