"""A transcript of a whole utterance -> the command it names, or None. Core module.

A general speech recogniser (listen/moonshine.py) writes down whatever it hears: "Stop.",
"Uh, next.", "stop stop", "7". An utterance is a command only when all of it names one
phrase of the vocabulary (the defaults and the person's own `words:`), after:

- case and punctuation are dropped, digits spelled out ("7" -> "seven"; "47" read both as
  "forty seven" and, as a person names a code, "four seven"), and a word written two ways
  taken as the one in the table ("backwards" -> "backward");
- a word that sounds the same as a word of the vocabulary is taken for it (`sounds_like`,
  given by the shell from a pronouncing dictionary: "for" -> "four", "paws" -> "pause"),
  since a recogniser that hears one word alone, with no sentence around it, cannot know
  which spelling was meant;
- fillers are dropped ("uh", "um", "please", ...), unless the phrase itself has them
  ("pause please" stays a phrase of its own);
- a phrase said over again ("stop stop", "go back go back") counts once;
- a phrase whose words were written apart or together ("cramp voice start" for "crampvoice
  start") is still the phrase.

Anything else, a sentence with a command word in it ("I can't stop now"), is no command:
a person talking near the bed must not move the session on.
"""

from __future__ import annotations

from collections.abc import Mapping

from .commands import Command, Vocabulary, normalise
from .phrases import number

FILLERS = frozenset({"uh", "uhh", "um", "umm", "uhm", "er", "erm", "ah", "ahh", "hm", "hmm", "mm", "oh", "please",
                     "okay", "ok", "so", "well", "now"})
SAID_AS = {"backwards": "backward", "forwards": "forward"}  # one word, written either way
MAX_REPEATS = 3  # "stop stop stop" is one stop; more is not a command but chatter


def words_of(transcript: str, by_digit: bool = False) -> list[str]:
    """The transcript's words, lower case, no punctuation, numbers spelled out (`by_digit`: a
    number of two or more figures digit by digit, "47" -> "four seven")."""
    out: list[str] = []
    for word in normalise(transcript.replace("-", " ")).split():
        if word.isdigit() and by_digit and len(word) > 1:
            out += [number(int(d)) for d in word]
        elif word.isdigit() and len(word) <= 3:
            out += number(int(word)).replace("-", " ").split()
        else:
            out.append(SAID_AS.get(word, word))
    return out


def command_in(transcript: str, vocabulary: Vocabulary,
               sounds_like: Mapping[str, str] | None = None) -> tuple[Command | None, str]:
    """The command the whole transcript names, and the phrase it was heard as ("" for none).
    `sounds_like`: words that sound as a word of the vocabulary does, to that word."""
    used = {w for phrases in vocabulary.phrases.values() for p in phrases for w in p.split()}
    for by_digit, sounds in ((False, {}), (True, {}), (False, sounds_like or {}), (True, sounds_like or {})):
        words = [sounds.get(w, w) for w in words_of(transcript, by_digit)]
        for candidate in (words, [w for w in words if w not in FILLERS or w in used],
                          [w for w in words if w not in FILLERS]):
            phrase = _once(candidate, vocabulary)
            if phrase:
                return vocabulary.command_for(phrase), phrase
    return None, ""


def _once(words: list[str], vocabulary: Vocabulary) -> str:
    """The phrase `words` say once or said over again (at most MAX_REPEATS times), its words
    written apart or together, or ""."""
    if not words:
        return ""
    joined = "".join(words)
    written = {p.replace(" ", ""): p for phrases in vocabulary.phrases.values() for p in phrases}
    for times in range(1, MAX_REPEATS + 1):
        if len(joined) % times or joined != joined[:len(joined) // times] * times:
            continue
        phrase = written.get(joined[:len(joined) // times])
        if phrase:
            return phrase
    return ""


def said_in(phrase: str, text: str, sounds_like: Mapping[str, str] | None = None) -> bool:
    """Whether `text` says `phrase`, its words in a row, a word taken for one of the vocabulary's
    it sounds the same as (`sounds_like`: "put your weight on it" says "wait")."""
    sounds = sounds_like or {}
    wanted = [sounds.get(w, w) for w in words_of(phrase)]
    words = [sounds.get(w, w) for w in words_of(text)]
    return bool(wanted) and any(words[i:i + len(wanted)] == wanted for i in range(len(words) - len(wanted) + 1))
