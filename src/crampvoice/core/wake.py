"""Standby's decisions: which heard phrase starts a session, and which script it starts. Core module.

A false start talks into a dark bedroom, so a start phrase is taken with more care than a
command inside a session: the utterance must be one start phrase, whole (the recogniser's
phrase for it, normalised, is exactly one of them: its words alone, or inside a longer
sentence, are no start), and the recogniser must be surer of it than a session asks
(`START_CONFIDENCE`, against 0.6 for a command).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from .commands import normalise

# A session command is acted on at 0.6 (pocketsphinx's confidence, or the personal model's
# probability); a start at 0.8. Chosen, not tuned: no real recordings of the default phrases exist here.
START_CONFIDENCE = 0.8

# Words a start phrase may name a muscle with ("calf cramp"): each starts the script of that
# name or whose `muscle:` says it. Words of the bundled scripts that pocketsphinx can say.
MUSCLES = ("calf", "foot", "hamstring", "thigh")
CRAMP = "cramp"


def muscle_phrases(muscles: Iterable[str] = MUSCLES) -> tuple[str, ...]:
    """The start phrases that name a muscle: "calf cramp", ..."""
    return tuple(f"{m} {CRAMP}" for m in muscles)


def muscle_named(phrase: str) -> str | None:
    """The muscle a start phrase names ("calf cramp" -> "calf"), or None."""
    words = normalise(phrase).split()
    return words[0] if len(words) == 2 and words[1] == CRAMP and words[0] in MUSCLES else None


@dataclass(frozen=True, slots=True)
class Candidate:
    """A script that could be started: its name, its `muscle:` and whether it ships with the program."""

    name: str
    muscle: str | None
    bundled: bool


def script_for(phrase: str, default: str, candidates: Sequence[Candidate]) -> str:
    """The script a start phrase starts: for a phrase naming a muscle, the default script if it is
    for that muscle, else the person's own script for it, else a bundled one (the one named after
    the muscle first); for any other phrase, or a muscle no script is for, the default."""
    muscle = muscle_named(phrase)
    if muscle is None:
        return default

    def fits(c: Candidate) -> bool:
        return c.name == muscle or muscle in normalise(c.muscle or "").split()

    fitting = [c for c in candidates if fits(c)]
    if any(c.name == default for c in fitting):
        return default
    if not fitting:
        return default
    best = min(fitting, key=lambda c: (c.bundled, c.name != muscle, c.name))
    return best.name


def takes_start(command_is_start: bool, phrase: str, confidence: float, phrases: Iterable[str],
                floor: float = START_CONFIDENCE) -> bool:
    """Whether a recogniser's answer is a start: it named the start command, with one whole start
    phrase, at least `floor` sure."""
    return command_is_start and normalise(phrase) in {normalise(p) for p in phrases} and confidence >= floor


def near_miss(phrase: str, confidence: float, phrases: Iterable[str]) -> bool:
    """An utterance not taken whose closest phrase was a start phrase: worth an `unheard` event."""
    return confidence > 0 and normalise(phrase) in {normalise(p) for p in phrases}
