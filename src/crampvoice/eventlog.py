"""--events: one JSON object a line, `t` in seconds since the session began (monotonic)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import TextIO

from .core.ports import Sink


class EventLog:
    """Writes events until the stream fails (a full disk, a closed pipe); then says so once and stops."""

    def __init__(self, stream: TextIO, started_at: float, notify: Callable[[str], None] = lambda message: None) -> None:
        self.stream = stream
        self.started_at = started_at
        self._notify = notify
        self._failed = False
        encoding = (getattr(stream, "encoding", None) or "utf-8").lower().replace("-", "")
        self._ascii = encoding != "utf8"  # escaped, so that any encoding carries every character

    def write(self, type_: str, at: float, **fields: object) -> None:
        if self._failed:
            return
        record = {"t": round(at - self.started_at, 4), "type": type_, **fields}
        try:
            self.stream.write(json.dumps(record, ensure_ascii=self._ascii) + "\n")
            self.stream.flush()
        except (OSError, ValueError) as e:
            self._failed = True
            reason = getattr(e, "strerror", None) or "the stream was closed"
            self._notify(f"The events can no longer be written ({reason}); the session goes on without them.")


class Tee:
    """Every event to each sink in turn: the --events log and the diary see the same events."""

    def __init__(self, *sinks: Sink) -> None:
        self.sinks = sinks

    def write(self, type_: str, at: float, **fields: object) -> None:
        for sink in self.sinks:
            sink.write(type_, at, **fields)


class Marked:
    """Adds `mark` to the `start` event: how a session was started (by voice, from standby)."""

    def __init__(self, sink: Sink, mark: dict[str, object]) -> None:
        self.sink = sink
        self.mark = mark

    def write(self, type_: str, at: float, **fields: object) -> None:
        self.sink.write(type_, at, **({**fields, **self.mark} if type_ == "start" else fields))
