"""What makes a sentence hard to follow by ear, for `validate` and `show` to warn about. Core module.

A person mid-cramp hears each sentence once, at speaking pace, and cannot look back. So:

- a sentence of more than `MAX_WORDS` words is split;
- one sentence gives one instruction: "then" or ";" more than once is several in one;
- numbers are written as they are said. espeak-ng reads what is written: "10-15" is "ten dash
  fifteen", "30s" is "thirties", "2x" is "two ex", "1/2" is "one slash two", and a phone number
  "911" is "nine hundred and eleven";
- the time a timed step names is the time it holds: "hold for thirty seconds" with `hold: 10`
  stops the person a third of the way through.
"""

from __future__ import annotations

import re

from .phrases import number

MAX_WORDS = 25
_SENTENCES = re.compile(r"(?<=[.!?])\s+")
_JOINERS = re.compile(r"\bthen\b|;|\bafter that\b", re.IGNORECASE)
_ODD_NUMBERS = (
    (re.compile(r"\b\d+\s*[-–]\s*\d+\b"), "is said with a dash in it", "write 'ten to fifteen'"),
    (re.compile(r"\b\d+\s*/\s*\d+\b"), "is said with 'slash'", "write 'half', 'a quarter'"),
    (re.compile(r"\b\d+(?:s|secs?|mins?|hrs?|x)\b|\bx\d+\b", re.IGNORECASE), "is not said as a time or a count",
     "write the words out: 'thirty seconds', 'two minutes', 'twice'"),
)
_PHONE = re.compile(r"\b(?:call|dial|phone|ring|number)\b", re.IGNORECASE)
_LONG_NUMBER = re.compile(r"\b\d{3,}\b")
_DIALLED = re.compile(r"\b\d(?: \d)+\b")
_WORD_NUMBERS = {number(n): n for n in range(1, 100)}
_DURATION = re.compile(r"\b(half a|a|\d+|[a-z]+(?:-[a-z]+)?)\s+(second|minute)s?\b", re.IGNORECASE)


def hard_to_follow(text: str, hold_s: float | None = None) -> list[tuple[str, str]]:
    """(what is wrong, what to do) for each thing in `text` that is hard to follow by ear;
    `hold_s` is the step's hold, when it has one."""
    found: list[tuple[str, str]] = []
    for sentence in _SENTENCES.split(text.strip()):
        words = len(_DIALLED.sub("0", sentence).split())  # "9 1 1" is one word to the ear
        if words > MAX_WORDS:
            found.append((f"a sentence of {words} words is hard to follow by ear",
                          f"split it into sentences of {MAX_WORDS} words or fewer"))
        joined = len(_JOINERS.findall(sentence))
        if joined >= 2:
            found.append((f"one sentence gives {joined + 1} instructions",
                          "give each instruction a sentence of its own, or a step of its own"))
        for pattern, how, hint in _ODD_NUMBERS:
            for match in pattern.finditer(sentence):
                found.append((f"'{match.group()}' {how}", hint))
        if _PHONE.search(sentence):
            for match in _LONG_NUMBER.finditer(sentence):
                digits = " ".join(match.group())
                found.append((f"'{match.group()}' is said as an amount, not digit by digit",
                              f"write a number to call as it is dialled: '{digits}'"))
    said = _durations(text)
    if hold_s is not None and said and hold_s not in said:
        named = " or ".join(f"{s:g}" for s in sorted(said))
        found.append((f"the sentence names {named} seconds, but the hold is {hold_s:g}",
                      "make 'hold:' the time the sentence names, or leave the time out of the sentence"))
    return found


def _durations(text: str) -> set[float]:
    """Each length of time a sentence names, in seconds: "thirty seconds", "a minute", "90 seconds"."""
    out: set[float] = set()
    for written, unit in _DURATION.findall(text):
        amount = written.lower()
        if amount.isdigit():
            n = float(amount)
        elif amount == "half a" or (amount == "a" and unit.lower() == "minute"):
            n = 0.5 if amount == "half a" else 1.0
        elif amount in _WORD_NUMBERS:
            n = float(_WORD_NUMBERS[amount])
        else:
            continue  # "a few seconds", "wait a second": no length named
        out.add(n * (60 if unit.lower() == "minute" else 1))
    return out
