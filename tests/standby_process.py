"""`crampvoice standby --events -` as a real process, for the tests: its events as they come, lines
typed into it, a clip said into the virtual microphone, and its end by a signal."""

from __future__ import annotations

import json
import queue
import signal
import subprocess
import sys
import threading
from pathlib import Path

CRAMPVOICE = [sys.executable, "-m", "crampvoice"]


# Ctrl-C as a terminal delivers it: a shell that starts a job in the background without job
# control has it ignored, and that would be inherited by standby (which rightly keeps it ignored).
AS_FROM_A_TERMINAL = [sys.executable, "-c", "import os, signal, sys; signal.signal(signal.SIGINT, signal.SIG_DFL); "
                      "os.execv(sys.argv[1], sys.argv[1:])"]


class StandbyProcess:
    def __init__(self, env: dict[str, str], *args: str | Path, typing: bool = False) -> None:
        self.env = env
        self.proc = subprocess.Popen([*AS_FROM_A_TERMINAL, *CRAMPVOICE, "standby", *map(str, args), "--events", "-"],
                                     env=env, text=True,
                                     stdin=subprocess.PIPE if typing else subprocess.DEVNULL,
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        self.seen: list[dict[str, object]] = []
        self._arrived: queue.SimpleQueue[dict[str, object]] = queue.SimpleQueue()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self._arrived.put(json.loads(line))

    def within(self, timeout_s: float) -> dict[str, object] | None:
        """The next event, or None if none came within `timeout_s` (to say a phrase again)."""
        try:
            event = self._arrived.get(timeout=timeout_s)
        except queue.Empty:
            return None
        self.seen.append(event)
        return event

    def until(self, type_: str, saying: str = "", *, no_start: bool = False) -> dict[str, object]:
        """The next event of this type (a `notice` saying this); `no_start`: none may come before it."""
        while True:
            event = self._arrived.get(timeout=90)
            self.seen.append(event)
            if event["type"] == type_ and saying in str(event.get("text", "")):
                return event
            assert not no_start or event["type"] != "wake", f"a start nobody gave: {event}"

    def said_until_taken(self, *clips: Path) -> dict[str, object] | None:
        """Each clip said in turn, as a person not heard says it again, until an event other than a
        near miss comes; that event, or None."""
        for clip in clips:
            self.say(clip)
            event = self.within(5.0)
            while event is not None and event["type"] == "unheard":
                event = self.within(5.0)
            if event is not None:
                return event
        return None

    def type(self, line: str) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(line + "\n")
        self.proc.stdin.flush()

    def say(self, clip: Path) -> None:
        subprocess.run(["paplay", "--device=micfeed", str(clip)], env=self.env, check=True, timeout=30)

    def end(self, signum: int = signal.SIGTERM) -> tuple[int, str]:
        """Ends it by `signum`; its exit status and standard error, every event kept in `seen`."""
        self.proc.send_signal(signum)
        self.proc.wait(timeout=90)  # its exit waits for Moonshine still loading (up to 30 s, moonshine.EXIT_WAIT_S)
        self._reader.join(timeout=30)
        assert self.proc.stdout is not None and self.proc.stderr is not None
        err = self.proc.stderr.read()
        for stream in (self.proc.stdin, self.proc.stdout, self.proc.stderr):
            if stream is not None:
                stream.close()
        while not self._arrived.empty():
            self.seen.append(self._arrived.get())
        return self.proc.returncode, err
