"""Characters that would act on a terminal instead of being read, found and made harmless. Core module.

A shared script or settings file must not clear the screen, retitle the window, or reorder the
safety lines on screen. Refused in text at validation (`first_control`), and escaped in
anything printed that came from a file (`printable`).
"""

from __future__ import annotations

import re
import unicodedata

# Bidirectional marks, embeddings, overrides and isolates: they reorder what is shown.
BIDI_CONTROLS = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
_WHITESPACE = frozenset("\t\n\r")


def is_control(char: str) -> bool:
    """A C0 or C1 control character (ESC, BEL, CSI, DEL, ...) other than tab and line ends, or a bidi control."""
    return (unicodedata.category(char) == "Cc" and char not in _WHITESPACE) or char in BIDI_CONTROLS


def first_control(text: str) -> str | None:
    """The first control character in `text`, or None."""
    return next((c for c in text if is_control(c)), None)


def describe(char: str) -> str:
    """'U+001B (escape)', for a message that says which character."""
    name = _NAMES.get(char) or unicodedata.name(char, "a control character").lower()
    return f"U+{ord(char):04X} ({name})"


def printable(line: str) -> str:
    """One line with every control character, and any line end, written out as an escape ('\\x1b', '\\u202e')."""
    if not any(_escaped(c) for c in line):
        return line
    return "".join(c.encode("unicode_escape").decode("ascii") if _escaped(c) else c for c in line)


LONGEST_WORD = 120  # a longer run of characters without a space is cut in a message


def brief(line: str) -> str:
    """`line` with any run of more than LONGEST_WORD characters without a space cut in its middle,
    so that a message echoing a 10,000-letter name stays readable."""
    if len(line) <= LONGEST_WORD:
        return line
    return re.sub(rf"\S{{{LONGEST_WORD + 1},}}",
                  lambda m: f"{m[0][:LONGEST_WORD - 40]}…({len(m[0])} characters)…{m[0][-20:]}", line)


def _escaped(char: str) -> bool:
    return char in "\r\n" or is_control(char)


_NAMES = {"\x00": "null", "\x07": "bell", "\x08": "backspace", "\x0b": "vertical tab", "\x0c": "form feed",
          "\x1b": "escape", "\x7f": "delete", "\x9b": "control sequence introducer"}
