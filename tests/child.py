"""The program under test as a child process that a failing test cannot leave waiting."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from typing import TypeVar

Output = TypeVar("Output", str, bytes)


@contextmanager
def killed_on_failure(proc: subprocess.Popen[Output]) -> Iterator[subprocess.Popen[Output]]:
    """`with proc:`, but a test failing inside the block kills the process first: leaving the
    block waits for it, and a session paused or waiting for an answer would hold the whole test
    run there, with nothing said."""
    with proc:
        try:
            yield proc
        except BaseException as failure:
            proc.kill()
            if proc.stderr is not None and not proc.stderr.closed:  # what it said of itself, to tell why
                with suppress(OSError, ValueError):
                    said = proc.stderr.read()
                    failure.add_note(f"its standard error, to its end: {said[-3000:]!r}")
            raise
