"""--events: one JSON object a line, `t` in seconds since the session began (monotonic)."""

from __future__ import annotations

import json
from typing import TextIO


class EventLog:
    def __init__(self, stream: TextIO, started_at: float) -> None:
        self.stream = stream
        self.started_at = started_at

    def write(self, type_: str, at: float, **fields: object) -> None:
        record = {"t": round(at - self.started_at, 4), "type": type_, **fields}
        self.stream.write(json.dumps(record, ensure_ascii=False) + "\n")
        self.stream.flush()
