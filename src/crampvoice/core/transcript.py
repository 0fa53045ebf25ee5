"""A transcript of a whole utterance -> the command it names, or None. Core module.

A general speech recogniser (listen/moonshine.py) writes down whatever it hears: "Stop.",
"Uh, next.", "stop stop", "7". An utterance is a command only when all of it names one
phrase of the vocabulary (the defaults and the person's own `words:`), after:

- case and punctuation are dropped, digits spelled out ("7" -> "seven"), and a word written
  two ways taken as the one in the table ("backwards" -> "backward");
- fillers are dropped ("uh", "um", "please", ...), unless the phrase itself has them
  ("pause please" stays a phrase of its own);
- a phrase said over again ("stop stop", "go back go back") counts once.

Anything else, a sentence with a command word in it ("I can't stop now"), is no command:
a person talking near the bed must not move the session on.
"""

from __future__ import annotations

from .commands import Command, Vocabulary, normalise
from .phrases import number

FILLERS = frozenset({"uh", "uhh", "um", "umm", "uhm", "er", "erm", "ah", "ahh", "hm", "hmm", "mm", "oh", "please",
                     "okay", "ok", "so", "well", "now"})
SAID_AS = {"backwards": "backward", "forwards": "forward"}  # one word, written either way
MAX_REPEATS = 3  # "stop stop stop" is one stop; more is not a command but chatter


def words_of(transcript: str) -> list[str]:
    """The transcript's words, lower case, no punctuation, digits spelled out."""
    out: list[str] = []
    for word in normalise(transcript.replace("-", " ")).split():
        out += number(int(word)).replace("-", " ").split() if word.isdigit() and len(word) <= 3 \
            else [SAID_AS.get(word, word)]
    return out


def command_in(transcript: str, vocabulary: Vocabulary) -> tuple[Command | None, str]:
    """The command the whole transcript names, and the phrase it was heard as ("" for none)."""
    words = words_of(transcript)
    if not words:
        return None, ""
    used = {w for phrases in vocabulary.phrases.values() for p in phrases for w in p.split()}
    for candidate in (words, [w for w in words if w not in FILLERS or w in used],
                      [w for w in words if w not in FILLERS]):
        phrase = _once(candidate, vocabulary)
        if phrase:
            return vocabulary.command_for(phrase), phrase
    return None, ""


def _once(words: list[str], vocabulary: Vocabulary) -> str:
    """The phrase `words` say once or said over again (at most MAX_REPEATS times), or ""."""
    n = len(words)
    for times in range(1, MAX_REPEATS + 1):
        if n % times:
            continue
        size = n // times
        phrase = " ".join(words[:size])
        if words == words[:size] * times and vocabulary.command_for(phrase) is not None:
            return phrase
    return ""
