"""Errors that say whose move it is. Only the command line (`cli/`) formats them for people."""

from __future__ import annotations

from dataclasses import dataclass

from .printable import brief, printable


@dataclass(frozen=True, slots=True, order=True)
class Problem:
    """One thing wrong with a file, at a place a person can find (1-based)."""

    path: str
    line: int
    col: int
    message: str
    hint: str = ""
    severity: str = "error"  # or "warning": the file is usable, but may not say what was meant

    def __str__(self) -> str:
        """One line, with any control character from the file escaped."""
        where = f"{self.path}:{self.line}:{self.col}" if self.line else self.path
        text = f"{where}: {self.severity}: {self.message}"
        return brief(printable(f"{text} — {self.hint}" if self.hint else text))


class CrampvoiceError(Exception):
    """A failure a person can act on; `hint` says what to do."""

    def __init__(self, message: str, hint: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint


class ScriptError(CrampvoiceError):
    """The script author's move: the file has problems."""

    def __init__(self, problems: list[Problem]) -> None:
        errors = sorted(p for p in problems if p.severity == "error")
        first = errors[0] if errors else Problem("?", 0, 0, "invalid script")
        super().__init__(str(first))
        self.problems = sorted(problems)


class DeviceError(CrampvoiceError):
    """The machine's move: a device, program or library is missing or broken."""


class SettingsError(CrampvoiceError):
    """The person's settings or data files cannot be used."""
