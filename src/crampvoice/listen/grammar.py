"""The grammar an utterance is decoded against: one command phrase, or anything else.

"Anything else" is a loop of the 39 English phones. Every word on a path pays the word
insertion penalty, so a phrase that fits the audio beats the loop, and a sentence, a cough or
a near-miss ("text" for "next") is cheaper to explain as phones: that is the rejection.
"""

from __future__ import annotations

from collections.abc import Iterable

# CMUdict's phones, as the en-us acoustic model knows them.
PHONES = ("AA", "AE", "AH", "AO", "AW", "AY", "B", "CH", "D", "DH", "EH", "ER", "EY", "F", "G", "HH", "IH", "IY",
          "JH", "K", "L", "M", "N", "NG", "OW", "OY", "P", "R", "S", "SH", "T", "TH", "UH", "UW", "V", "W", "Y", "Z",
          "ZH")
PHONE_WORD_PREFIX = "ph_"


def phone_words() -> dict[str, str]:
    """Dictionary entries for the loop: one word a phone."""
    return {PHONE_WORD_PREFIX + p.lower(): p for p in PHONES}


def jsgf(phrases: Iterable[str], other_weight: float = 1.0) -> str:
    """A JSGF grammar: exactly one of `phrases`, or (weighted against them) a loop of phones."""
    alternatives = " | ".join(sorted(set(phrases)))
    loop = " | ".join(phone_words())
    return ("#JSGF V1.0;\ngrammar commands;\n"
            f"public <utterance> = /1/ <command> | /{other_weight:g}/ <other>;\n"
            f"<command> = {alternatives};\n"
            f"<other> = <phone>+;\n"
            f"<phone> = {loop};\n")


def phone_loop() -> str:
    """The loop alone: the best any sound can score, against which a command's score is compared."""
    return ("#JSGF V1.0;\ngrammar other;\n"
            f"public <other> = <phone>+;\n<phone> = {' | '.join(phone_words())};\n")


def is_phone_word(word: str) -> bool:
    return word.startswith(PHONE_WORD_PREFIX)
