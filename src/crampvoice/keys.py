"""Keyboard input: single keys from a real terminal, or lines from a pipe.

Both read in a thread of their own and put `CommandGiven` into the session's inbox.
"""

from __future__ import annotations

import select
import threading
from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any, TextIO

from .core.commands import KEYS, Vocabulary, command_for_line
from .core.events import Arrival, CommandGiven, Interrupted

# prompt_toolkit's names for the special keys we use.
_SPECIAL = {"c-m": "enter", "c-j": "enter", "right": "right", "left": "left", "escape": "escape"}


class TerminalKeys:
    """Single key presses, no Enter needed; the terminal is in raw mode until close()."""

    def __init__(self, stdin: TextIO) -> None:
        self._stdin = stdin
        self._closed = threading.Event()
        self._thread: threading.Thread | None = None
        self._raw: AbstractContextManager[Any] | None = None

    def start(self, put: Callable[[Arrival], None]) -> None:
        from prompt_toolkit.input import create_input  # only a terminal session needs it

        terminal = create_input(self._stdin)
        self._raw = terminal.raw_mode()
        self._raw.__enter__()
        self._thread = threading.Thread(target=self._read, args=(terminal, put), daemon=True,
                                         name="crampvoice-keys")
        self._thread.start()

    def _read(self, terminal: Any, put: Callable[[Arrival], None]) -> None:
        fd = terminal.fileno()
        while not self._closed.is_set():
            try:
                ready, _, _ = select.select([fd], [], [], 0.1)
                presses = terminal.read_keys() if ready else terminal.flush_keys()
            except (OSError, ValueError):  # the terminal is gone (hung up); SIGHUP ends the session
                return
            for press in presses:
                key = str(getattr(press.key, "value", press.key))
                if key == "c-c":  # raw mode turns Ctrl-C into a key; the inbox wakes the session at once
                    put(Interrupted())
                    continue
                name = _SPECIAL.get(key, key)
                command = KEYS.get(name) or KEYS.get(name.lower())
                if command is not None:
                    put(CommandGiven(command, heard=name))

    def close(self) -> None:
        self._closed.set()
        if self._thread is not None:
            self._thread.join(timeout=1.0)
        if self._raw is not None:
            self._raw.__exit__(None, None, None)
            self._raw = None


class LineKeys:
    """Commands from a pipe, a line each: a phrase ("go back"), a key ("n"), or an empty line (Enter)."""

    def __init__(self, stream: TextIO, vocabulary: Vocabulary) -> None:
        self._stream = stream
        self._vocabulary = vocabulary

    def start(self, put: Callable[[Arrival], None]) -> None:
        threading.Thread(target=self._read, args=(put,), daemon=True, name="crampvoice-lines").start()

    def _read(self, put: Callable[[Arrival], None]) -> None:
        for line in self._stream:
            command = command_for_line(line, self._vocabulary)
            if command is not None:
                phrase = self._vocabulary.command_for(line) is not None  # "next", not the key "n"
                put(CommandGiven(command, heard=line.strip() or "enter", typed=phrase))

    def close(self) -> None:
        pass  # the reader thread is a daemon; it ends with the pipe or the process
