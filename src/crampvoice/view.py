"""The text view: everything said, and what the person did, as plain lines.

Lines a screen reader can follow: no colour, no cursor movement, one thought a line.
"""

from __future__ import annotations

from typing import TextIO

from .core.commands import KEY_HELP
from .core.events import Log
from .core.printable import printable

_DONE_BY = {"voice": "heard", "key": "pressed", "typed": "typed"}


class TextView:
    def __init__(self, stream: TextIO) -> None:
        self.stream = stream

    def line(self, text: str) -> None:
        self.stream.write(printable(text) + "\n")  # nothing from a file acts on the terminal
        self.stream.flush()

    def said(self, text: str) -> None:
        self.line(text)

    def logged(self, log: Log) -> None:
        f = log.fields
        if log.type == "step":
            self.line(f"Step {f['index']} of {f['of']}:")
        elif log.type == "command":
            self.line(f"{_DONE_BY.get(str(f['by']), 'pressed')}: {f['command']}")
            if f["command"] == "help" and f["by"] == "key":
                for line in KEY_HELP:
                    self.line(line)
        elif log.type == "ignored":
            self.line(f"heard but ignored while asleep: {f['heard']}")
